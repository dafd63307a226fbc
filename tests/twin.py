"""One helper to compare two implementations of the same differentiable function.

An *implementation* is any callable ``impl(inputs, douts) -> (outs, grads)``:

- ``inputs``: list of float64 NumPy arrays (the same for both sides);
- ``douts``: upstream gradients, one per output (``None`` asks only for the outputs);
- ``outs``: list of NumPy arrays; ``grads``: gradients of ``sum_k sum(outs[k] * douts[k])`` with respect
  to the inputs listed in ``wrt``, in that order.

Adapters turn the three kinds of code in this project into implementations:

- :func:`numpy_pair` for CS231n-style ``forward(...) -> (*outs, cache)`` / ``backward(*douts, cache)``;
- :func:`torch_autograd` for anything written with torch operations (including ``torch.nn`` modules);
- :func:`finite_differences` for a forward alone, by centred differences;
- :func:`module_call` turns a ``torch.nn.Module`` call into a function of (inputs…, parameters…), so that
  :func:`torch_autograd` compares the weight gradients too.

:func:`assert_twins` runs the same inputs through two implementations and asserts that every output
and every gradient agree (CS231n's ``rel_error``) within a bound.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from rnnbook.numpy.gradcheck import eval_numerical_gradient, rel_error

Impl = Callable[[list, "list | None"], tuple]


def _as_list(x) -> list:
    return list(x) if isinstance(x, (tuple, list)) else [x]


def numpy_pair(forward: Callable, backward: Callable | None, n_out: int = 1, wrt: Sequence[int] | None = None,
               **kwargs) -> Impl:
    """``forward(*inputs, **kwargs)`` returns ``(*outs, cache)`` with ``n_out`` outputs;
    ``backward(*douts, cache)`` returns the gradients of the inputs in ``wrt`` (default: all), in order."""

    def impl(inputs, douts):
        res = forward(*[np.array(a, copy=True) for a in inputs], **kwargs)
        outs, cache = list(res[:n_out]), res[n_out]
        if douts is None or backward is None:
            return outs, None
        grads = _as_list(backward(*[np.array(d, copy=True) for d in douts], cache))
        n = len(inputs) if wrt is None else len(wrt)
        grads = grads[:n]
        return outs, grads

    return impl


def torch_autograd(fn: Callable, wrt: Sequence[int] | None = None, dtype=torch.float64, device="cpu") -> Impl:
    """``fn(*tensors)`` returns a tensor or a tuple of tensors; gradients come from autograd."""

    def impl(inputs, douts):
        idx = range(len(inputs)) if wrt is None else wrt
        ts = []
        for i, a in enumerate(inputs):
            a = np.asarray(a)
            t = torch.tensor(a, dtype=dtype if np.issubdtype(a.dtype, np.floating) else None, device=device)
            if i in idx:
                t.requires_grad_(True)
            ts.append(t)
        outs = _as_list(fn(*ts))
        np_outs = [o.detach().cpu().double().numpy() for o in outs]
        if douts is None:
            return np_outs, None
        total = sum((o * torch.as_tensor(d, dtype=o.dtype, device=o.device)).sum() for o, d in zip(outs, douts))
        grads = torch.autograd.grad(total, [ts[i] for i in idx], allow_unused=True)
        return np_outs, [np.zeros(inputs[i].shape) if g is None else g.detach().cpu().double().numpy()
                         for i, g in zip(idx, grads)]

    return impl


def module_call(module: torch.nn.Module, names: Sequence[str], call: Callable) -> Callable:
    """``fn(*inputs, *params)`` runs ``call(run, *inputs)``, where ``run(*args, **kwargs)`` is ``module(...)`` with the
    parameters named ``names`` replaced by the trailing tensors (``torch.func.functional_call``, strict), so that
    autograd also gives the gradient of every parameter. Wrap it in :func:`torch_autograd`."""

    def fn(*ts):
        k = len(ts) - len(names)
        params = dict(zip(names, ts[k:]))
        return call(lambda *a, **kw: torch.func.functional_call(module, params, a, kw, strict=True), *ts[:k])

    return fn


def finite_differences(forward: Callable, n_out: int = 1, wrt: Sequence[int] | None = None, h: float = 1e-6,
                       **kwargs) -> Impl:
    """Centred differences of ``sum_k sum(outs[k] * douts[k])``, with ``forward`` as in :func:`numpy_pair`."""

    def outs_of(inputs):
        res = forward(*[np.array(a, copy=True) for a in inputs], **kwargs)
        return [np.asarray(o, dtype=np.float64) for o in _as_list(res)[:n_out]]

    def impl(inputs, douts):
        inputs = [np.array(a, dtype=np.float64 if np.issubdtype(np.asarray(a).dtype, np.floating) else None)
                  for a in inputs]
        outs = outs_of(inputs)
        if douts is None:
            return outs, None
        idx = range(len(inputs)) if wrt is None else wrt
        grads = []
        for i in idx:
            def f(z, i=i):
                args = list(inputs)
                args[i] = z
                return sum(float(np.sum(o * d)) for o, d in zip(outs_of(args), douts))
            grads.append(eval_numerical_gradient(f, np.array(inputs[i], copy=True), h))
        return outs, grads

    return impl


def random_douts(outs: list, seed: int = 1234) -> list:
    """Upstream gradients: standard normal, one per output, deterministic."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(np.shape(o)) if np.ndim(o) else np.float64(rng.standard_normal()) for o in outs]


def assert_twins(a: Impl, b: Impl, inputs: Sequence, *, tol: float = 1e-10, grad_tol: float | None = None,
                 grads: bool = True, douts: list | None = None, names: Sequence[str] | None = None,
                 atol: float | None = None) -> dict:
    """Run ``inputs`` through ``a`` and ``b``; assert every output and gradient agree within ``tol``.

    By default the measure is CS231n's ``rel_error`` (floor 1e-8), right for float64. With ``atol`` the rule is
    torch.testing's instead, elementwise ``|a - b| <= atol + tol·|b|``: right for float32, where values near zero
    carry rounding noise far above that floor.

    Returns ``{"out0": err, ..., "grad0": err, ...}`` so that a test may also assert on the errors.
    """
    inputs = list(inputs)
    outs_a, _ = a(inputs, None)
    if douts is None:
        douts = random_douts(outs_a)
    outs_a, grads_a = a(inputs, douts if grads else None)
    outs_b, grads_b = b(inputs, douts if grads else None)
    assert len(outs_a) == len(outs_b), f"{len(outs_a)} outputs against {len(outs_b)}"
    errors = {}
    for k, (x, y) in enumerate(zip(outs_a, outs_b)):
        assert np.shape(x) == np.shape(y), f"output {k}: shape {np.shape(x)} against {np.shape(y)}"
        errors[f"out{k}"] = rel_error(x, y)
    if grads:
        assert len(grads_a) == len(grads_b), f"{len(grads_a)} gradients against {len(grads_b)}"
        for k, (x, y) in enumerate(zip(grads_a, grads_b)):
            label = names[k] if names else f"grad{k}"
            assert np.shape(x) == np.shape(y), f"{label}: shape {np.shape(x)} against {np.shape(y)}"
            errors[label] = rel_error(x, y)
    gtol = tol if grad_tol is None else grad_tol
    if atol is None:
        bad = {k: e for k, e in errors.items() if e > (tol if k.startswith("out") else gtol)}
    else:
        pairs = dict(zip(errors, list(zip(outs_a, outs_b)) + (list(zip(grads_a, grads_b)) if grads else [])))
        bad = {k: errors[k] for k, (x, y) in pairs.items()
               if np.any(np.abs(np.asarray(x) - np.asarray(y))
                         > atol + (tol if k.startswith("out") else gtol) * np.abs(np.asarray(y)))}
    assert not bad, f"disagreement beyond tol={tol}, grad_tol={gtol}: {bad}"
    return errors
