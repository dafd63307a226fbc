"""rnnbook.torch.scaled_dot_product_attention against torch's, and rnnbook.torch.MultiheadAttention against
torch.nn.MultiheadAttention (after load_state_dict both ways): outputs, attention weights and every gradient."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

import rnnbook.torch as R
from twin import assert_twins, random_douts, torch_autograd


# ------------------------------------------------------------------------------------------------ SDPA
def _mask(kind, L, S, rng):
    if kind == "bool":  # True = attend; every row keeps at least one key
        m = rng.random((L, S)) < 0.6
        m[:, 0] = True
        return torch.tensor(m)
    if kind == "bool_batched":
        m = rng.random((2, 1, L, S)) < 0.6
        m[..., 0] = True
        return torch.tensor(m)
    if kind == "float":
        return torch.tensor(rng.standard_normal((L, S)))
    return None


@pytest.mark.parametrize("mask,is_causal", [(None, False), ("bool", False), ("bool_batched", False),
                                             ("float", False), (None, True)])  # torch rejects mask + causal
@pytest.mark.parametrize("scale", [None, 0.3])
@pytest.mark.parametrize("L,S,E,Ev", [(4, 5, 3, 6), (1, 1, 2, 2), (5, 5, 4, 3)])
def test_sdpa_twin(mask, is_causal, scale, L, S, E, Ev):
    rng = np.random.default_rng(0)
    m = _mask(mask, L, S, rng)

    def fn(sdpa, m=m):
        return lambda q, k, v: sdpa(q, k, v, attn_mask=m, is_causal=is_causal, scale=scale)

    inputs = [rng.standard_normal((2, 3, L, E)), rng.standard_normal((2, 3, S, E)), rng.standard_normal((2, 3, S, Ev))]
    assert_twins(torch_autograd(fn(F.scaled_dot_product_attention)), torch_autograd(fn(R.scaled_dot_product_attention)),
                 inputs, tol=1e-10)
    inputs32 = [torch.tensor(a, dtype=torch.float32) for a in inputs]
    m32 = m.float() if m is not None and m.is_floating_point() else m
    torch.testing.assert_close(fn(R.scaled_dot_product_attention, m32)(*inputs32),
                               fn(F.scaled_dot_product_attention, m32)(*inputs32), rtol=1e-5, atol=1e-5)


def test_sdpa_fully_masked_row_gives_zeros_like_torch():
    q = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    m = torch.ones(3, 3, dtype=torch.bool)
    m[1] = False
    out = R.scaled_dot_product_attention(q, q, q, attn_mask=m)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, q, q, attn_mask=m))
    assert (out[1] == 0).all()
    out.sum().backward()
    assert torch.isfinite(q.grad).all()


def test_sdpa_bad_input():
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"key: expected \(\.\.\., S, E\) with E = 4"):
        R.scaled_dot_product_attention(q, torch.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match=r"value: expected \(\.\.\., S, Ev\) with S = 3"):
        R.scaled_dot_product_attention(q, q, torch.randn(2, 2, 4))
    with pytest.raises(ValueError, match="expected None with is_causal=True"):
        R.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True)
    with pytest.raises(ValueError, match="key: expected dtype torch.float32 .*, got torch.float64"):
        R.scaled_dot_product_attention(q, q.double(), q)


# ------------------------------------------------------------------------------------------------- MHA
def mha_fn(module, names, call, split_bias):
    """Like twin.module_call for ``call(run, q, k, v)``; with ``split_bias`` the parameter in_proj_bias arrives as three
    inputs b_q, b_k, b_v (joined here), so that their gradients can be told apart."""

    def fn(q, k, v, *ps):
        ps = list(ps)
        if split_bias:
            i = names.index("in_proj_bias")
            ps[i:i + 3] = [torch.cat(ps[i:i + 3])]
        params = dict(zip(names, ps))
        return call(lambda *a, **kw: functional_call(module, params, a, kw, strict=True), q, k, v)

    return fn


def make_pair(direction, dtype=torch.float64, **kw):
    torch.manual_seed(0)
    ours, theirs = R.MultiheadAttention(**kw).to(dtype), nn.MultiheadAttention(**kw).to(dtype)
    src, dst = (theirs, ours) if direction == "theirs_to_ours" else (ours, theirs)
    with torch.no_grad():
        for p in src.parameters():
            p.uniform_(-0.6, 0.6)  # non-zero biases too
    dst.load_state_dict(src.state_dict())
    return ours, theirs


CASES = [
    # batch_first, kdim/vdim, bias, key_padding_mask, attn_mask, need_weights, average
    (False, None, True, None, None, True, True),
    (True, None, True, None, None, True, True),
    (True, None, False, "bool", None, True, True),
    (False, None, True, "float", "float3d", True, False),
    (True, None, True, "bool", "bool3d", True, True),
    (False, (3, 7), True, None, None, True, True),
    (True, (3, 7), True, "bool", "bool2d", False, True),
    (True, (5, 3), False, None, "causal", True, False),
]


@pytest.mark.parametrize("batch_first,kvdim,bias,kpm,am,need_weights,average", CASES)
@pytest.mark.parametrize("direction", ["theirs_to_ours", "ours_to_theirs"])
def test_mha_twin(batch_first, kvdim, bias, kpm, am, need_weights, average, direction):
    E, h, N, L, S = 8, 2, 3, 4, 5
    kdim, vdim = kvdim or (E, E)
    kw = dict(embed_dim=E, num_heads=h, bias=bias, batch_first=batch_first)
    if kvdim:
        kw.update(kdim=kdim, vdim=vdim)
    ours, theirs = make_pair(direction, **kw)
    names = list(theirs.state_dict())
    assert names == list(ours.state_dict())
    rng = np.random.default_rng(0)
    shape = (lambda n, d: (N, n, d)) if batch_first else (lambda n, d: (n, N, d))
    inputs = [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kdim)),
              rng.standard_normal(shape(S, vdim))]
    inputs += [p.detach().double().numpy() for p in theirs.state_dict().values()]
    pad = None
    if kpm == "bool":
        pad = torch.tensor(rng.random((N, S)) < 0.3)
        pad[:, 0] = False  # every row keeps a key
    elif kpm == "float":
        pad = torch.tensor(rng.standard_normal((N, S)))
    mask = {None: None,
            "bool2d": torch.tensor(rng.random((L, S)) < 0.3),
            "float3d": torch.tensor(rng.standard_normal((N * h, L, S))),
            "bool3d": torch.tensor(rng.random((N * h, L, S)) < 0.3),
            "causal": torch.ones(L, S, dtype=torch.bool).triu(1)}[am]
    if am in ("bool2d", "bool3d"):
        mask[..., 0] = False

    def call(run, q, k, v):
        out, w = run(q, k, v, key_padding_mask=pad, attn_mask=mask, need_weights=need_weights,
                     average_attn_weights=average, is_causal=am == "causal")
        return (out,) if w is None else (out, w)

    # The key bias only adds q·b_k to every score of a row, which the softmax ignores: its gradient is zero up
    # to rounding (~1e-17), where rel_error's 1e-8 floor would read 1e-9. So in_proj_bias enters as three
    # inputs b_q, b_k, b_v; b_k's gradient is checked to be ~0 on both sides, all the rest with rel_error.
    labels = ["dquery", "dkey", "dvalue"] + [f"d{n}" for n in names]
    wrt = list(range(len(inputs)))
    if bias:
        i = 3 + names.index("in_proj_bias")
        inputs[i:i + 1] = np.split(inputs[i], 3)
        labels[i:i + 1] = ["din_proj_bias_q", "din_proj_bias_v"]
        wrt.remove(i + 1)
    a, b = mha_fn(theirs, names, call, bias), mha_fn(ours, names, call, bias)
    errs = assert_twins(torch_autograd(a, wrt=wrt), torch_autograd(b, wrt=wrt), inputs, tol=1e-10, names=labels)
    assert len(errs) == (2 if need_weights else 1) + len(wrt)
    if bias:
        douts = random_douts(torch_autograd(a)(inputs, None)[0])
        for fn in (a, b):
            g_k = torch_autograd(fn, wrt=[i + 1])(inputs, douts)[1][0]
            assert np.abs(g_k).max() < 1e-12
    t = [torch.tensor(a) for a in inputs[:3]]
    with torch.no_grad():  # the loaded module itself
        a, b = call(theirs, *t), call(ours, *t)
    for u, v in zip(a, b):
        torch.testing.assert_close(v, u, rtol=1e-10, atol=1e-10)
    if need_weights:
        assert b[1].shape == ((N, L, S) if average else (N, h, L, S))


def test_mha_float32_and_unbatched():
    ours, theirs = make_pair("theirs_to_ours", dtype=torch.float32, embed_dim=8, num_heads=4)
    q, kv = torch.randn(4, 8), torch.randn(6, 8)
    pad = torch.tensor([False, True, False, False, True, False])
    a, b = theirs(q, kv, kv, key_padding_mask=pad), ours(q, kv, kv, key_padding_mask=pad)
    for u, v in zip(a, b):
        assert u.shape == v.shape
        torch.testing.assert_close(v, u, rtol=1e-5, atol=1e-5)


def test_mha_parameters_like_torch():
    for kw in (dict(), dict(bias=False), dict(kdim=3, vdim=5), dict(kdim=3, vdim=5, bias=False)):
        ours, theirs = R.MultiheadAttention(8, 2, **kw), nn.MultiheadAttention(8, 2, **kw)
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
               [(k, v.shape) for k, v in theirs.state_dict().items()]
    ours = R.MultiheadAttention(8, 2)
    assert ours.in_proj_weight.std() > 0.1 and (ours.in_proj_bias == 0).all()


def test_mha_bad_input():
    m = R.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(3, 4, 8)
    with pytest.raises(ValueError, match=r"query: expected \(N, L, E\) = \(3, 4, 8\), got \(3, 4, 7\)"):
        m(torch.randn(3, 4, 7), x, x)
    with pytest.raises(ValueError, match=r"key: expected \(N, S, Ek\) = \(3, 4, 8\), got \(2, 4, 8\)"):
        m(x, torch.randn(2, 4, 8), x)
    with pytest.raises(ValueError, match=r"key_padding_mask: expected \(N, S\) = \(3, 4\), got \(3, 5\)"):
        m(x, x, x, key_padding_mask=torch.zeros(3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"attn_mask: expected \(L, S\) = \(4, 4\), got \(4, 3\)"):
        m(x, x, x, attn_mask=torch.zeros(4, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="query: expected dtype torch.float32 .*, got torch.float64"):
        m(x.double(), x, x)
    with pytest.raises(ValueError, match="num_heads: expected a divisor of embed_dim = 8, got 3"):
        R.MultiheadAttention(8, 3)
