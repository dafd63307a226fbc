"""Multi-head attention against finite differences and torch.nn.MultiheadAttention(batch_first=True)."""

import numpy as np
import pytest
import torch

from rnnbook.numpy.attention import causal_mask, padding_mask
from rnnbook.numpy.multihead import (
    mha_params_from_torch,
    mha_params_to_torch,
    multi_head_attention_backward,
    multi_head_attention_forward,
)
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

NAMES = ["dquery", "dkey", "dvalue", "dWq", "dWk", "dWv", "dbq", "dbv", "dWo", "dbo"]
# dbk is left out of the relative comparisons: it is exactly 0 in exact arithmetic (adding bk to every key
# shifts a whole score row by q·bk, which softmax ignores), so both sides hold rounding noise there;
# test_key_bias_gradient_is_zero checks it with an absolute bound instead.
WRT = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]


def _backward_without_dbk(dout, cache):
    grads = multi_head_attention_backward(dout, cache)
    return grads[:7] + grads[8:]


def _inputs(rng, N=2, T=3, S=4, E=4):
    acts = [rng.standard_normal((N, T, E)), rng.standard_normal((N, S, E)), rng.standard_normal((N, S, E))]
    weights = [rng.standard_normal((E, E)) / np.sqrt(E) for _ in range(3)]
    biases = [0.2 * rng.standard_normal(E) for _ in range(3)]
    return acts + weights + biases + [rng.standard_normal((E, E)) / np.sqrt(E), 0.2 * rng.standard_normal(E)]


def _module(E, num_heads):
    return torch.nn.MultiheadAttention(E, num_heads, batch_first=True).double()


def _torch_mha(E, num_heads, attn_mask=None, key_padding_mask=None):
    """torch.nn.MultiheadAttention with its parameters built from the inputs, so autograd reaches them.

    attn_mask, key_padding_mask: torch's convention, True = NOT allowed.
    """
    module = _module(E, num_heads)

    def fn(query, key, value, Wq, Wk, Wv, bq, bk, bv, Wo, bo):
        params = {"in_proj_weight": torch.cat([Wq.T, Wk.T, Wv.T]), "in_proj_bias": torch.cat([bq, bk, bv]),
                  "out_proj.weight": Wo.T, "out_proj.bias": bo}
        kw = dict(need_weights=False,
                  attn_mask=None if attn_mask is None else torch.as_tensor(attn_mask),
                  key_padding_mask=None if key_padding_mask is None else torch.as_tensor(key_padding_mask))
        return torch.func.functional_call(module, params, (query, key, value), kw)[0]

    return fn


@pytest.mark.parametrize("num_heads", [1, 2])
def test_backward_matches_finite_differences(rng, num_heads):
    inputs = _inputs(rng, N=2, T=2, S=3, E=4)
    mask = causal_mask(2, 3)
    assert_twins(numpy_pair(multi_head_attention_forward, _backward_without_dbk, num_heads=num_heads, mask=mask),
                 finite_differences(multi_head_attention_forward, wrt=WRT, num_heads=num_heads, mask=mask, h=1e-4),
                 inputs, tol=1e-12, grad_tol=1e-7, names=NAMES)


@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
@pytest.mark.parametrize("shape", [dict(N=2, T=3, S=5, E=6, h=3), dict(N=1, T=1, S=1, E=4, h=2),
                                   dict(N=3, T=4, S=5, E=8, h=1)])
# (S > T: with T = S the causal mask lets query 0 see one key, so its dquery is exactly 0 here and
# rounding noise ~1e-16 in torch, which CS231n's relative error with its 1e-8 floor reads as 5e-8;
# test_single_kept_key covers that case.)
def test_matches_torch_multihead(rng, masks, shape):
    N, T, S, E, h = (shape[c] for c in "NTSEh")
    inputs = _inputs(rng, N=N, T=T, S=S, E=E)
    lengths = S - np.arange(N) % S  # at least one key each
    am = ~causal_mask(T, S) if masks in ("causal", "both") else None  # torch: True = blocked
    kpm = ~padding_mask(lengths, S) if masks in ("padding", "both") else None
    # our convention: True = attend; (N, T, S) from torch's two masks
    mask = None
    if masks != "none":
        mask = np.ones((N, T, S), dtype=bool)
        if am is not None:
            mask &= ~am[None]
        if kpm is not None:
            mask &= ~kpm[:, None, :]
    assert_twins(numpy_pair(multi_head_attention_forward, _backward_without_dbk, num_heads=h, mask=mask),
                 torch_autograd(_torch_mha(E, h, am, kpm), wrt=WRT), inputs, tol=1e-10, names=NAMES)


def test_key_bias_gradient_is_zero(rng):
    inputs = _inputs(rng, N=2, T=3, S=4, E=6)
    out, cache = multi_head_attention_forward(*inputs, num_heads=3, mask=causal_mask(3, 4))
    dout = rng.standard_normal(out.shape)
    dbk = multi_head_attention_backward(dout, cache)[7]
    assert np.max(np.abs(dbk)) < 1e-13
    _, torch_grads = torch_autograd(_torch_mha(6, 3, ~causal_mask(3, 4)), wrt=[7])(inputs, [dout])
    assert np.max(np.abs(torch_grads[0])) < 1e-13


def test_mask_shapes_broadcast(rng):
    inputs = _inputs(rng, N=2, T=3, S=3, E=4)
    full = np.broadcast_to(causal_mask(3), (2, 2, 3, 3))
    out2, _ = multi_head_attention_forward(*inputs, num_heads=2, mask=causal_mask(3))  # (T, S)
    out3, _ = multi_head_attention_forward(*inputs, num_heads=2, mask=np.broadcast_to(causal_mask(3), (2, 3, 3)))
    out4, _ = multi_head_attention_forward(*inputs, num_heads=2, mask=full)
    np.testing.assert_array_equal(out2, out3)
    np.testing.assert_array_equal(out2, out4)


def test_converters_round_trip_and_match_module(rng):
    E, h = 6, 2
    torch.manual_seed(0)
    module = _module(E, h)
    with torch.no_grad():
        module.in_proj_bias.normal_()
        module.out_proj.bias.normal_()
    params = mha_params_from_torch(module)
    assert params["num_heads"] == h and params["Wq"].shape == (E, E) and params["Wq"].dtype == np.float64
    q, k, v = rng.standard_normal((2, 3, E)), rng.standard_normal((2, 4, E)), rng.standard_normal((2, 4, E))
    out, _ = multi_head_attention_forward(q, k, v, **params)
    with torch.no_grad():
        expected = module(*(torch.from_numpy(a) for a in (q, k, v)), need_weights=False)[0].numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    other = _module(E, h)
    other.load_state_dict(mha_params_to_torch(params))
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, other.state_dict()[name]), name


def test_fully_masked_row_gives_bias_and_no_nan(rng):
    inputs = _inputs(rng, N=2, T=3, S=4, E=4)
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[1, 0] = False
    out, cache = multi_head_attention_forward(*inputs, num_heads=2, mask=mask)
    np.testing.assert_array_equal(out[1, 0], inputs[10])  # attention output 0, so out = bo exactly
    grads = multi_head_attention_backward(rng.standard_normal(out.shape), cache)
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert np.all(grads[0][1, 0] == 0.0)
    assert cache["attn"]["weights"].shape == (2, 2, 3, 4)


def test_fully_masked_row_agrees_with_torch_autograd_path(rng):
    # torch 2.13's nn.MultiheadAttention on its autograd path also gives out = bo on such a row
    N, T, S, E, h = 2, 3, 4, 4, 2
    inputs = _inputs(rng, N=N, T=T, S=S, E=E)
    kpm = np.zeros((N, S), dtype=bool)
    am = np.zeros((T, S), dtype=bool)
    am[2] = True  # query 2 may attend to nothing (torch: True = blocked)
    assert_twins(numpy_pair(multi_head_attention_forward, _backward_without_dbk, num_heads=h, mask=~am),
                 torch_autograd(_torch_mha(E, h, am, kpm), wrt=WRT), inputs, tol=1e-10, names=NAMES)


def test_single_kept_key(rng):
    inputs = _inputs(rng, N=1, T=2, S=3, E=4)
    mask = np.array([False, True, False])  # every query sees key 1 only
    out, _ = multi_head_attention_forward(*inputs, num_heads=2, mask=mask)
    value, Wv, bv, Wo, bo = inputs[2], inputs[5], inputs[8], inputs[9], inputs[10]
    expected = (value[0, 1] @ Wv + bv) @ Wo + bo
    np.testing.assert_allclose(out[0], np.broadcast_to(expected, (2, 4)), rtol=1e-13, atol=1e-15)


def test_linspace_literal():
    E = 2
    x = np.linspace(-1.0, 1.0, 4).reshape(1, 2, E)
    I = np.eye(E)
    z = np.zeros(E)
    out, _ = multi_head_attention_forward(x, x, x, I, I, I, z, z, z, I, z, num_heads=2)
    # identity projections, heads of size 1: out[t, i] = Σ_s softmax_s(x[t,i] x[s,i]) x[s,i]
    np.testing.assert_allclose(out[0], [[-0.7218552968986, 0.1875766108753],
                                        [-0.1875766108753, 0.7218552968986]], rtol=1e-11)


def test_bad_input(rng):
    inputs = _inputs(rng, N=2, T=3, S=4, E=6)
    with pytest.raises(ValueError, match=r"num_heads: embedding size E = 6 is not divisible by num_heads = 4"):
        multi_head_attention_forward(*inputs, num_heads=4)
    with pytest.raises(ValueError, match=r"^num_heads: expected a positive integer"):
        multi_head_attention_forward(*inputs, num_heads=0)
    bad = list(inputs)
    bad[4] = bad[4][:, :3]
    with pytest.raises(ValueError, match=r"^Wk: expected \(E, E\) = \(6, 6\), got \(6, 3\)"):
        multi_head_attention_forward(*bad, num_heads=2)
    bad = list(inputs)
    bad[1] = bad[1][..., :5]
    with pytest.raises(ValueError, match=r"^key: expected"):
        multi_head_attention_forward(*bad, num_heads=2)
    bad = list(inputs)
    bad[0] = bad[0].astype(np.int64)
    with pytest.raises(ValueError, match=r"^query: expected a floating-point dtype"):
        multi_head_attention_forward(*bad, num_heads=2)
    with pytest.raises(ValueError, match=r"^mask: expected a shape broadcastable"):
        multi_head_attention_forward(*inputs, num_heads=2, mask=np.ones((3, 3), dtype=bool))
    out, cache = multi_head_attention_forward(*inputs, num_heads=2)
    with pytest.raises(ValueError, match=r"^dout: expected"):
        multi_head_attention_backward(out[:, :2], cache)
