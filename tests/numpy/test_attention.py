"""Additive and (scaled) dot-product attention: finite differences, torch twins, masks, literals, bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnbook.numpy.attention import (
    additive_attention_backward,
    additive_attention_forward,
    attention_weights,
    causal_mask,
    dot_product_attention_backward,
    dot_product_attention_forward,
    masked_softmax,
    padding_mask,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

FD_TOL = 1e-7
FD_H = 2e-5  # centred-difference step: rounding error ~1e-16/h, truncation ~h²


# ----------------------------------------------------------------------------------------- helpers


def _additive_inputs(rng, N=2, S=4, H_dec=3, H_enc=5, A=6):
    return [rng.standard_normal((N, H_dec)), rng.standard_normal((N, S, H_enc)),
            0.5 * rng.standard_normal((H_dec, A)), 0.5 * rng.standard_normal((H_enc, A)),
            0.3 * rng.standard_normal(A), rng.standard_normal(A)]


def _additive_fwd(*args, mask=None):  # (context, cache): one output for the twin helper
    context, _, cache = additive_attention_forward(*args, mask=mask)
    return context, cache


def _additive_torch(mask=None):
    def fn(query, keys, Wq, Wk, b, v):
        e = torch.tanh((query @ Wq)[:, None, :] + keys @ Wk + b) @ v  # (N, S)
        if mask is not None:
            e = e.masked_fill(~torch.as_tensor(mask), float("-inf"))
        alpha = torch.softmax(e, dim=-1)
        return torch.einsum("ns,nsh->nh", alpha, keys), alpha
    return fn


def _qkv(rng, N=2, T=3, S=4, d_k=5, d_v=2, heads=None):
    lead = (N,) if heads is None else (N, heads)
    return [rng.standard_normal(lead + (T, d_k)), rng.standard_normal(lead + (S, d_k)),
            rng.standard_normal(lead + (S, d_v))]


def _sdpa_torch(mask=None):
    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else torch.as_tensor(mask))
    return fn




# ------------------------------------------------------------------------------------- softmax, masks


def test_masked_softmax_stable_and_masked():
    x = np.array([[1000.0, 1001.0, -1000.0], [0.0, 0.0, 0.0]])
    mask = np.array([[True, True, False], [False, False, False]])
    with np.errstate(all="raise"):  # no overflow, no 0/0, no invalid
        p = masked_softmax(x, mask)
    e = np.exp(-1.0)
    np.testing.assert_allclose(p[0], [e / (1 + e), 1 / (1 + e), 0.0], rtol=1e-14)
    assert np.all(p[1] == 0.0)
    np.testing.assert_allclose(masked_softmax(x).sum(axis=-1), 1.0, rtol=1e-14)


def test_causal_and_padding_masks():
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    np.testing.assert_array_equal(causal_mask(2, 4), [[1, 1, 1, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(causal_mask(3, 5), torch.ones(3, 5).tril(diagonal=2).bool().numpy())
    np.testing.assert_array_equal(padding_mask(np.array([1, 3, 0]), 3), [[1, 0, 0], [1, 1, 1], [0, 0, 0]])
    assert causal_mask(4).dtype == bool and padding_mask(np.array([2]), 4).shape == (1, 4)


# ------------------------------------------------------------------------------------------- additive


@pytest.mark.parametrize("masked", [False, True])
def test_additive_backward_matches_finite_differences(rng, masked):
    inputs = _additive_inputs(rng)
    mask = np.array([[True, False, True, True], [True, True, True, False]]) if masked else None
    assert_twins(numpy_pair(_additive_fwd, additive_attention_backward, mask=mask),
                 finite_differences(_additive_fwd, mask=mask, h=FD_H), inputs, tol=1e-12, grad_tol=FD_TOL)


def test_additive_weights_gradient_matches_finite_differences(rng):
    inputs = _additive_inputs(rng, N=1, S=3)

    def backward(dcontext, dweights, cache):
        return additive_attention_backward(dcontext, cache, dweights=dweights)

    assert_twins(numpy_pair(additive_attention_forward, backward, n_out=2),
                 finite_differences(additive_attention_forward, n_out=2, h=FD_H), inputs, tol=1e-12, grad_tol=FD_TOL)


@pytest.mark.parametrize("masked", [False, True])
def test_additive_matches_torch(rng, masked):
    inputs = _additive_inputs(rng, N=3, S=5)
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 0, 0, 1, 0]], dtype=bool) if masked else None

    def backward(dcontext, dweights, cache):
        return additive_attention_backward(dcontext, cache, dweights=dweights)

    assert_twins(numpy_pair(additive_attention_forward, backward, n_out=2, mask=mask),
                 torch_autograd(_additive_torch(mask)), inputs, tol=1e-10)


def test_additive_single_kept_position_and_fully_masked_example(rng):
    query, keys, Wq, Wk, b, v = _additive_inputs(rng, N=2, S=4)
    mask = np.array([[False, False, True, False], [False] * 4])
    context, weights, cache = additive_attention_forward(query, keys, Wq, Wk, b, v, mask=mask)
    np.testing.assert_array_equal(context[0], keys[0, 2])  # only value row 2 is seen, exactly
    np.testing.assert_array_equal(weights[0], [0.0, 0.0, 1.0, 0.0])
    assert np.all(context[1] == 0.0) and np.all(weights[1] == 0.0)
    grads = additive_attention_backward(rng.standard_normal(context.shape), cache)
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert np.all(grads[0][1] == 0.0) and np.all(grads[1][1] == 0.0)  # the hidden example gets no gradient


def test_additive_linspace_literal():
    query = np.linspace(-0.5, 0.5, 2).reshape(1, 2)
    keys = np.linspace(-1.0, 1.0, 6).reshape(1, 3, 2)
    Wq = np.linspace(-0.3, 0.3, 4).reshape(2, 2)
    Wk = np.linspace(0.2, -0.4, 4).reshape(2, 2)
    b = np.array([0.1, -0.1])
    v = np.array([1.0, -2.0])
    context, weights, _ = additive_attention_forward(query, keys, Wq, Wk, b, v)
    # e_j = v · tanh(s Wq + h_j Wk + b), written out by hand for j = 0, 1, 2
    s_proj = query @ Wq + b
    e = np.array([v @ np.tanh(s_proj[0] + keys[0, j] @ Wk) for j in range(3)])
    expected = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    np.testing.assert_allclose(weights[0], expected, rtol=1e-14)
    np.testing.assert_allclose(weights[0], [0.1588097178259, 0.2937317290119, 0.5474585531623], rtol=1e-11)
    np.testing.assert_allclose(context[0], [0.1109190682691, 0.5109190682691], rtol=1e-11)


# ----------------------------------------------------------------------------------------- dot product


@pytest.mark.parametrize("fwd,bwd", [(dot_product_attention_forward, dot_product_attention_backward),
                                     (scaled_dot_product_attention_forward, scaled_dot_product_attention_backward)])
@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
def test_dot_product_backward_matches_finite_differences(rng, fwd, bwd, mask_kind):
    q, k, v = _qkv(rng, N=2, T=3, S=4, d_k=3, d_v=2)
    mask = {"none": None, "causal": causal_mask(3, 4),
            "padding": padding_mask(np.array([2, 4]), 4)[:, None, :]}[mask_kind]
    assert_twins(numpy_pair(fwd, bwd, mask=mask), finite_differences(fwd, mask=mask, h=FD_H), [q, k, v],
                 tol=1e-12, grad_tol=FD_TOL)


def test_scaled_backward_finite_differences_long_sequence(rng):
    q, k, v = _qkv(rng, N=1, T=10, S=12, d_k=2, d_v=2)
    mask = causal_mask(10, 12)
    assert_twins(numpy_pair(scaled_dot_product_attention_forward, scaled_dot_product_attention_backward, mask=mask),
                 finite_differences(scaled_dot_product_attention_forward, mask=mask, h=FD_H), [q, k, v],
                 tol=1e-12, grad_tol=1e-6)


@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
@pytest.mark.parametrize("shape", [dict(N=2, T=3, S=5, d_k=4, d_v=6), dict(N=1, T=1, S=1, d_k=2, d_v=3),
                                   dict(N=3, T=4, S=4, d_k=3, d_v=3, heads=2)])
def test_scaled_matches_torch_sdpa(rng, mask_kind, shape):
    q, k, v = _qkv(rng, **shape)
    N, T, S = shape["N"], shape["T"], shape["S"]
    lengths = S - np.arange(N) % S  # every row keeps at least one key
    padding = padding_mask(lengths, S)[:, None, :]  # (N, 1, S)
    if "heads" in shape:
        padding = padding[:, None]  # (N, 1, 1, S)
    mask = {"none": None, "causal": causal_mask(T, S), "padding": padding}[mask_kind]
    # Elementwise with an absolute floor: under a causal mask the first query sees one key, so its gradient is
    # exactly 0 in NumPy and 0 or ~1e-16 in torch's SDPA kernel depending on the CPU's code path; a relative
    # error with CS231n's 1e-8 floor would read that rounding noise as 1e-8.
    assert_twins(numpy_pair(scaled_dot_product_attention_forward, scaled_dot_product_attention_backward, mask=mask),
                 torch_autograd(_sdpa_torch(mask)), [q, k, v], tol=1e-10, atol=1e-13)


def test_dot_product_is_sdpa_with_unit_scale(rng):
    q, k, v = _qkv(rng)
    mask = causal_mask(3, 4)

    def fn(q_, k_, v_):
        return F.scaled_dot_product_attention(q_, k_, v_, attn_mask=torch.as_tensor(mask), scale=1.0)

    assert_twins(numpy_pair(dot_product_attention_forward, dot_product_attention_backward, mask=mask),
                 torch_autograd(fn), [q, k, v], tol=1e-10)


def test_fully_masked_row_is_zero_and_matches_torch_elsewhere(rng):
    q, k, v = _qkv(rng, N=2, T=3, S=4, d_k=3, d_v=5)
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[:, 1, :] = False  # query 1 may attend to nothing
    mask[0, 2, :2] = False
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask)
    assert np.all(np.isfinite(out)) and np.all(out[:, 1] == 0.0)
    assert np.all(attention_weights(cache)[:, 1] == 0.0)
    dq, dk, dv = scaled_dot_product_attention_backward(rng.standard_normal(out.shape), cache)
    assert all(np.all(np.isfinite(g)) for g in (dq, dk, dv))
    assert np.all(dq[:, 1] == 0.0)
    # compare with torch on the other rows only (queries do not interact): what torch returns on a fully
    # masked row depends on its version and path (NaN from a plain softmax over -inf)
    keep = [0, 2]

    def fwd(q_, k_, v_):
        o, c = scaled_dot_product_attention_forward(q_, k_, v_, mask)
        return o[:, keep], c

    def bwd(dsub, c):
        dout = np.zeros(c["weights"].shape[:-1] + (c["v"].shape[-1],))
        dout[:, keep] = dsub
        return scaled_dot_product_attention_backward(dout, c)

    def torch_fn(q_, k_, v_):
        return F.scaled_dot_product_attention(q_[:, keep], k_, v_, attn_mask=torch.as_tensor(mask[:, keep]))

    assert_twins(numpy_pair(fwd, bwd), torch_autograd(torch_fn), [q, k, v], tol=1e-10)


def test_fully_masked_row_agrees_with_installed_torch_sdpa(rng):
    # torch 2.13's CPU F.scaled_dot_product_attention also returns 0 (and zero gradients) on such a row
    q, k, v = _qkv(rng, N=2, T=3, S=4, d_k=3, d_v=5)
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[1, 0, :] = False
    assert_twins(numpy_pair(scaled_dot_product_attention_forward, scaled_dot_product_attention_backward, mask=mask),
                 torch_autograd(_sdpa_torch(mask)), [q, k, v], tol=1e-10)


def test_single_kept_position_returns_that_value_row(rng):
    q, k, v = _qkv(rng, N=2, T=3, S=4, d_k=3, d_v=2)
    mask = np.zeros((2, 3, 4), dtype=bool)
    mask[..., 1] = True
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask)
    np.testing.assert_array_equal(out, np.broadcast_to(v[:, 1:2, :], out.shape))
    np.testing.assert_array_equal(attention_weights(cache), mask.astype(float))


def test_scaled_linspace_literal():
    q = np.linspace(-1.0, 1.0, 4).reshape(1, 2, 2)
    k = np.linspace(0.5, -0.5, 6).reshape(1, 3, 2)
    v = np.linspace(0.0, 1.0, 3).reshape(1, 3, 1)
    out, cache = scaled_dot_product_attention_forward(q, k, v, causal_mask(2, 3))
    # row 0 attends to keys 0, 1; row 1 to keys 0, 1, 2
    np.testing.assert_allclose(attention_weights(cache)[0], [[0.4068208326534, 0.5931791673466, 0.0],
                                                             [0.4637797639844, 0.3180746731142, 0.2181455629015]],
                               rtol=1e-11)
    np.testing.assert_allclose(out[0, :, 0], [0.2965895836733, 0.3771828994585], rtol=1e-11)


# ---------------------------------------------------------------------------------------- bad input


def test_bad_input_raises_value_error_naming_argument(rng):
    q, k, v = _qkv(rng)
    with pytest.raises(ValueError, match=r"^k: expected"):
        scaled_dot_product_attention_forward(q, k[..., :2], v)
    with pytest.raises(ValueError, match=r"^v: expected"):
        scaled_dot_product_attention_forward(q, k, v[:, :2])
    with pytest.raises(ValueError, match=r"^q: expected 3 dimensions"):
        scaled_dot_product_attention_forward(q[0], k, v)
    with pytest.raises(ValueError, match=r"^q: expected a floating-point dtype"):
        scaled_dot_product_attention_forward(q.astype(int), k, v)
    with pytest.raises(ValueError, match=r"^mask: expected a boolean"):
        scaled_dot_product_attention_forward(q, k, v, causal_mask(3, 4).astype(float))
    with pytest.raises(ValueError, match=r"^mask: expected a shape broadcastable"):
        scaled_dot_product_attention_forward(q, k, v, causal_mask(4, 3))
    out, cache = scaled_dot_product_attention_forward(q, k, v)
    with pytest.raises(ValueError, match=r"^dout: expected"):
        scaled_dot_product_attention_backward(out[:, :2], cache)
    inputs = _additive_inputs(rng)
    with pytest.raises(ValueError, match=r"^Wk: expected \(H_enc, A\)"):
        additive_attention_forward(*inputs[:3], inputs[3][:, :2], *inputs[4:])
    with pytest.raises(ValueError, match=r"^v: expected"):
        additive_attention_forward(*inputs[:5], inputs[5][:2])
    with pytest.raises(ValueError, match=r"^mask: expected \(N, S\)"):
        additive_attention_forward(*inputs, mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"^lengths"):
        padding_mask(np.array([5]), 4)
