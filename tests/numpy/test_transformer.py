"""Layer norm, the feed-forward net and the causal transformer block, each checked three ways in float64:
centred finite differences, the from-scratch torch twin (rnnbook.torch) and torch.nn itself."""

import numpy as np
import pytest
import torch
from twin import assert_twins, finite_differences, module_call, numpy_pair, torch_autograd

from rnnbook.numpy import (BLOCK_PARAMS, block_params_from_torch, block_params_to_torch, feedforward_backward,
                           feedforward_forward, layer_norm_backward, layer_norm_forward, rel_error,
                           transformer_block_backward, transformer_block_forward)
from rnnbook.torch import LayerNorm, TransformerBlock


# ------------------------------------------------------------------------------------- layer norm
def _ln_inputs(rng, *shape):
    E = shape[-1]
    return [rng.standard_normal(shape) * 2.0 + 0.5, 1.0 + 0.3 * rng.standard_normal(E), 0.3 * rng.standard_normal(E)]


def test_layer_norm_linspace():
    x = np.linspace(-1.0, 2.0, 8).reshape(2, 4)  # each row: 4 values spaced 3/7 apart
    y, _ = layer_norm_forward(x, np.ones(4), np.zeros(4), eps=1e-12)
    # deviations from the row mean (-1.5, -0.5, 0.5, 1.5)·3/7, variance 1.25·(3/7)²: x̂ = (-3, -1, 1, 3)/sqrt(5)
    assert rel_error(y, np.tile(np.array([-3.0, -1.0, 1.0, 3.0]) / np.sqrt(5.0), (2, 1))) < 1e-9
    gamma, beta = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 0.0, 0.0, -0.5])
    y, _ = layer_norm_forward(x, gamma, beta, eps=1e-5)
    xhat = np.array([-1.5, -0.5, 0.5, 1.5]) * 3 / 7 / np.sqrt(1.25 * 9 / 49 + 1e-5)
    assert rel_error(y, np.tile(gamma * xhat + beta, (2, 1))) < 1e-12


@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (1, 1, 6)])
def test_layer_norm_backward_finite_differences(rng, shape):
    assert_twins(numpy_pair(layer_norm_forward, layer_norm_backward), finite_differences(layer_norm_forward),
                 _ln_inputs(rng, *shape), tol=1e-12, grad_tol=1e-7)


@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_layer_norm_against_torch_nn_and_twin(rng, eps):
    inputs = _ln_inputs(rng, 2, 3, 6)
    ours = numpy_pair(layer_norm_forward, layer_norm_backward, eps=eps)
    nn_ln = torch.nn.LayerNorm(6, eps=eps).double()
    assert_twins(ours, torch_autograd(module_call(nn_ln, ["weight", "bias"], lambda run, x: run(x))), inputs,
                 tol=1e-12, grad_tol=1e-10)
    twin = LayerNorm(6, eps=eps).double()
    assert_twins(ours, torch_autograd(module_call(twin, ["weight", "bias"], lambda run, x: run(x))), inputs,
                 tol=1e-12, grad_tol=1e-10)


def test_layer_norm_bad_input(rng):
    x, g, b = _ln_inputs(rng, 2, 5)
    with pytest.raises(ValueError, match=r"gamma: expected \(E\) = \(5,\), got \(4,\)"):
        layer_norm_forward(x, g[:4], b)
    with pytest.raises(ValueError, match=r"eps: expected a positive number, got 0"):
        layer_norm_forward(x, g, b, eps=0)
    _, cache = layer_norm_forward(x, g, b)
    with pytest.raises(ValueError, match=r"dout: expected the shape of x \(2, 5\), got \(5, 2\)"):
        layer_norm_backward(np.ones((5, 2)), cache)


# ------------------------------------------------------------------------------------ feedforward
def _ffn_inputs(rng, N=2, T=3, E=4, F=6):
    return [rng.standard_normal((N, T, E)), rng.standard_normal((E, F)) / 2, 0.3 * rng.standard_normal(F),
            rng.standard_normal((F, E)) / 2, 0.3 * rng.standard_normal(E)]


def test_feedforward_finite_differences_and_torch(rng):
    inputs = _ffn_inputs(rng)
    ours = numpy_pair(feedforward_forward, feedforward_backward)
    assert_twins(ours, finite_differences(feedforward_forward), inputs, tol=1e-12, grad_tol=1e-7)
    lin = lambda x, W1, b1, W2, b2: torch.relu(x @ W1 + b1) @ W2 + b2  # noqa: E731
    assert_twins(ours, torch_autograd(lin), inputs, tol=1e-12, grad_tol=1e-10)


def test_feedforward_against_torch_nn_and_twin(rng):
    """torch.nn.Sequential(Linear, ReLU, Linear) and the twin block's feed-forward net, loaded with our weights."""
    inputs = _ffn_inputs(rng, N=2, T=4, E=5, F=7)
    seq = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 5)).double()
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]

    def nn_ffn(x, W1, b1, W2, b2):
        return torch.func.functional_call(seq, dict(zip(names, (W1.T, b1, W2.T, b2))), (x,), strict=True)

    ours = numpy_pair(feedforward_forward, feedforward_backward)
    assert_twins(ours, torch_autograd(nn_ffn), inputs, tol=1e-12, grad_tol=1e-10)
    # the twin: TransformerBlock's linear2(relu(linear1(x))), its parameters set to ours
    twin = TransformerBlock(5, 1, 7).double()
    x, W1, b1, W2, b2 = inputs
    with torch.no_grad():
        for p, a in ((twin.linear1.weight, W1.T), (twin.linear1.bias, b1), (twin.linear2.weight, W2.T),
                     (twin.linear2.bias, b2)):
            p.copy_(torch.tensor(a))
    xt = torch.tensor(x, requires_grad=True)
    yt = twin._ff(xt)
    y, cache = feedforward_forward(*inputs)
    dout = rng.standard_normal(y.shape)
    (yt * torch.tensor(dout)).sum().backward()
    dx, dW1, db1, dW2, db2 = feedforward_backward(dout, cache)
    assert rel_error(y, yt.detach().numpy()) < 1e-12 and rel_error(dx, xt.grad.numpy()) < 1e-10
    for ours_g, p in ((dW1.T, twin.linear1.weight), (db1, twin.linear1.bias), (dW2.T, twin.linear2.weight),
                      (db2, twin.linear2.bias)):
        assert rel_error(ours_g, p.grad.numpy()) < 1e-10


def test_feedforward_is_position_wise(rng):
    x, *p = _ffn_inputs(rng, N=1, T=5)
    y, _ = feedforward_forward(x, *p)
    y_perm, _ = feedforward_forward(x[:, ::-1].copy(), *p)
    assert rel_error(y_perm, y[:, ::-1]) < 1e-14


def test_feedforward_bad_input(rng):
    x, W1, b1, W2, b2 = _ffn_inputs(rng)
    with pytest.raises(ValueError, match=r"W2: expected \(F, E\) = \(6, 4\), got \(6, 3\)"):
        feedforward_forward(x, W1, b1, W2[:, :3], b2)


# ------------------------------------------------------------------------------- transformer block
def _block_inputs(rng, N=2, T=3, E=4, F=8):
    s = 1 / np.sqrt(E)
    shapes = {"gamma1": (E,), "beta1": (E,), "Wq": (E, E), "Wk": (E, E), "Wv": (E, E), "bq": (E,), "bk": (E,),
              "bv": (E,), "Wo": (E, E), "bo": (E,), "gamma2": (E,), "beta2": (E,), "W1": (E, F), "b1": (F,),
              "W2": (F, E), "b2": (E,)}
    out = [rng.standard_normal((N, T, E))]
    for name in BLOCK_PARAMS:
        z = rng.standard_normal(shapes[name])
        out.append(1.0 + 0.2 * z if name.startswith("gamma") else (s * z if name[0] == "W" else 0.2 * z))
    return out


# dbk (input 7) is exactly 0 in exact arithmetic, so both sides hold rounding noise there: it is left out of
# the relative comparisons and checked with an absolute bound in test_block_key_bias_gradient_is_zero.
WRT = [i for i in range(17) if i != 7]


def _block_backward_without_dbk(dout, cache):
    g = transformer_block_backward(dout, cache)
    return g[:7] + g[8:]


def _torch_layer(E, h, F, norm_first):
    return torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, batch_first=True, norm_first=norm_first).double()


def _names():
    return ["dx"] + ["d" + n for n in BLOCK_PARAMS if n != "bk"]


def _torch_block_fn(layer):
    """A function of (x, *params) running ``layer`` (torch.nn or rnnbook.torch) with those parameters."""
    def fn(x, *p):
        P = dict(zip(BLOCK_PARAMS, p))
        sd = {"self_attn.in_proj_weight": torch.cat([P["Wq"].T, P["Wk"].T, P["Wv"].T]),
              "self_attn.in_proj_bias": torch.cat([P["bq"], P["bk"], P["bv"]]),
              "self_attn.out_proj.weight": P["Wo"].T, "self_attn.out_proj.bias": P["bo"],
              "linear1.weight": P["W1"].T, "linear1.bias": P["b1"], "linear2.weight": P["W2"].T,
              "linear2.bias": P["b2"], "norm1.weight": P["gamma1"], "norm1.bias": P["beta1"],
              "norm2.weight": P["gamma2"], "norm2.bias": P["beta2"]}
        T = x.shape[1]
        if isinstance(layer, torch.nn.TransformerEncoderLayer):
            mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=x.dtype)  # -inf above the diagonal
            kw = {"src_mask": mask, "is_causal": True}
        else:
            kw = {}
        return torch.func.functional_call(layer, sd, (x,), kw, strict=True)
    return fn


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("h", [1, 2])
def test_block_backward_matches_finite_differences(rng, norm_first, h):
    inputs = _block_inputs(rng, N=2, T=3, E=4, F=6)
    fwd = lambda *a: transformer_block_forward(*a, num_heads=h, norm_first=norm_first)  # noqa: E731
    assert_twins(numpy_pair(fwd, _block_backward_without_dbk),
                 finite_differences(fwd, wrt=WRT, h=1e-5), inputs, tol=1e-12, grad_tol=1e-7, names=_names())


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("shape", [dict(N=2, T=5, E=6, h=3, F=12), dict(N=1, T=1, E=4, h=2, F=4),
                                   dict(N=3, T=4, E=8, h=1, F=16)])
def test_block_matches_torch_nn_and_twin(rng, norm_first, shape):
    N, T, E, h, F = (shape[c] for c in "NTEhF")
    inputs = _block_inputs(rng, N=N, T=T, E=E, F=F)
    fwd = lambda *a: transformer_block_forward(*a, num_heads=h, norm_first=norm_first)  # noqa: E731
    ours = numpy_pair(fwd, _block_backward_without_dbk)
    for layer in (_torch_layer(E, h, F, norm_first),
                  TransformerBlock(E, h, F, norm_first=norm_first).double()):
        assert_twins(ours, torch_autograd(_torch_block_fn(layer), wrt=WRT), inputs, tol=1e-11, grad_tol=1e-9,
                     names=_names())


def test_block_matches_torch_decoder_layer_without_cross_attention(rng):
    """torch.nn.TransformerDecoderLayer has three sub-layers: causal self-attention, cross-attention to an
    encoder's ``memory`` and the feed-forward net. A decoder-only block has no encoder, so there it differs.
    With the cross-attention's output projection set to zero that sub-layer adds exactly 0 to the residual
    stream, and in the pre-LN order (norm_first=True) the decoder layer then computes our block, with its
    norm3 as our LN2 (in post-LN order its norm2 would still be applied to the stream, so it differs)."""
    N, T, E, h, F = 2, 4, 6, 2, 10
    x, *p = _block_inputs(rng, N=N, T=T, E=E, F=F)
    P = dict(zip(BLOCK_PARAMS, p))
    dec = torch.nn.TransformerDecoderLayer(E, h, F, dropout=0.0, batch_first=True, norm_first=True).double()
    sd = {k.replace("norm2", "norm3"): v for k, v in block_params_to_torch(P).items()}
    with torch.no_grad():
        torch.nn.init.zeros_(dec.multihead_attn.out_proj.weight)
        torch.nn.init.zeros_(dec.multihead_attn.out_proj.bias)
    missing, unexpected = dec.load_state_dict(sd, strict=False)
    assert not unexpected and all(k.startswith(("multihead_attn", "norm2")) for k in missing)
    xt = torch.tensor(x, requires_grad=True)
    memory = torch.randn(N, 3, E, dtype=torch.float64)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    yt = dec(xt, memory, tgt_mask=mask, tgt_is_causal=True)
    y, cache = transformer_block_forward(x, *p, num_heads=h, norm_first=True)
    assert rel_error(y, yt.detach().numpy()) < 1e-11
    dout = rng.standard_normal(y.shape)
    (yt * torch.tensor(dout)).sum().backward()
    assert rel_error(transformer_block_backward(dout, cache)[0], xt.grad.numpy()) < 1e-10


def test_block_params_round_trip_through_torch(rng):
    layer = _torch_layer(6, 2, 12, norm_first=False)
    params = block_params_from_torch(layer)
    assert params["num_heads"] == 2 and params["norm_first"] is False and params["eps"] == 1e-5
    x = rng.standard_normal((2, 5, 6))
    with torch.no_grad():
        layer.train()  # the autograd path (eval mode under no_grad takes torch's fused fast path)
        mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        ref = layer(torch.tensor(x), src_mask=mask, is_causal=True).numpy()
    assert rel_error(transformer_block_forward(x, **params)[0], ref) < 1e-12
    other = _torch_layer(6, 2, 12, norm_first=False)
    other.load_state_dict(block_params_to_torch({k: params[k] for k in BLOCK_PARAMS}))
    assert all(torch.equal(a, b) for a, b in zip(layer.state_dict().values(), other.state_dict().values()))


def test_block_is_causal(rng):
    x, *p = _block_inputs(rng, N=1, T=6, E=4, F=8)
    y, cache = transformer_block_forward(x, *p, num_heads=2)
    x2 = x.copy()
    x2[:, 4:] += 10.0  # change the last two positions only
    y2, _ = transformer_block_forward(x2, *p, num_heads=2)
    assert np.array_equal(y[:, :4], y2[:, :4]) and not np.allclose(y[:, 4:], y2[:, 4:])
    assert np.all(np.triu(cache["mha"]["attn"]["weights"][0, 0], 1) == 0.0)


def test_block_key_bias_gradient_is_zero(rng):
    x, *p = _block_inputs(rng)
    y, cache = transformer_block_forward(x, *p, num_heads=2, norm_first=False)
    dbk = transformer_block_backward(rng.standard_normal(y.shape), cache)[7]
    assert np.max(np.abs(dbk)) < 1e-13


def test_block_bad_input(rng):
    x, *p = _block_inputs(rng, E=4)
    with pytest.raises(ValueError, match=r"num_heads: embedding size E = 4 is not divisible by num_heads = 3"):
        transformer_block_forward(x, *p, num_heads=3)
    with pytest.raises(ValueError, match=r"gamma1: expected \(E\) = \(4,\), got \(5,\)"):
        transformer_block_forward(x, np.ones(5), *p[1:], num_heads=2)
    y, cache = transformer_block_forward(x, *p, num_heads=2)
    with pytest.raises(ValueError, match=r"dout: expected \(N, T, E\) = \(2, 3, 4\), got \(2, 3, 5\)"):
        transformer_block_backward(np.ones((2, 3, 5)), cache)
