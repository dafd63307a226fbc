"""GRU, both variants: fixed values, finite differences, torch.nn.GRU ("pytorch"), Cho's equations in torch ops
("cho"), edge cases and bad input."""

import re

import numpy as np
import pytest
import torch
from torch.func import functional_call
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import rel_error
from rnnbook.numpy.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnnbook.torch.layout import to_torch_params

# Centred-difference step: see tests/numpy/test_lstm.py. h = 1e-5 leaves an absolute floor of ~3e-11, so that
# only gradient entries of size ~1e-5 can show a relative error near 1e-7; the draws below (rng fixture, seed 0)
# stay under the bounds, and torch autograd checks every entry to 1e-10.
FD_H = 1e-5
VARIANTS = ["pytorch", "cho"]


def gru_inputs(rng, N, T, D, H, zero_h0=False):
    """[x, h0, Wx, Wh, bx, bh]: x ~ N(0, 1), weights and biases ~ N(0, 0.3²), h0 ~ N(0, 0.5²) or zeros."""
    x = rng.standard_normal((N, T, D))
    h0 = np.zeros((N, H)) if zero_h0 else 0.5 * rng.standard_normal((N, H))
    return [x, h0, 0.3 * rng.standard_normal((D, 3 * H)), 0.3 * rng.standard_normal((H, 3 * H)),
            0.3 * rng.standard_normal(3 * H), 0.3 * rng.standard_normal(3 * H)]


def torch_nn_gru(x, h0, Wx, Wh, bx, bh):
    """torch.nn.GRU (batch first, float64) on the given weights: weight_ih = Wxᵀ, weight_hh = Whᵀ."""
    D, H = Wx.shape[0], Wh.shape[0]
    module = torch.nn.GRU(D, H, batch_first=True).double()
    params = {"weight_ih_l0": Wx.T, "weight_hh_l0": Wh.T, "bias_ih_l0": bx, "bias_hh_l0": bh}
    out, _ = functional_call(module, params, (x, h0[None]))
    return out


def torch_cho_gru(x, h0, Wx, Wh, bx, bh):
    """Cho et al. (2014) in torch operations: the reset gate multiplies h_{t-1} before W_hn."""
    H = Wh.shape[0]
    h, outs = h0, []
    for t in range(x.shape[1]):
        ax = x[:, t] @ Wx + bx
        r = torch.sigmoid(ax[:, :H] + h @ Wh[:, :H] + bh[:H])
        z = torch.sigmoid(ax[:, H:2 * H] + h @ Wh[:, H:2 * H] + bh[H:2 * H])
        n = torch.tanh(ax[:, 2 * H:] + (r * h) @ Wh[:, 2 * H:] + bh[2 * H:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs, dim=1)


TORCH_TWIN = {"pytorch": torch_nn_gru, "cho": torch_cho_gru}


def torch_step(variant):
    def step(x, prev_h, Wx, Wh, bx, bh):
        return TORCH_TWIN[variant](x[:, None], prev_h, Wx, Wh, bx, bh)[:, 0]
    return step


# ------------------------------------------------------------------------------------ fixed values
def _linspace_seq():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.5, 0.8, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.6, 0.4, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.9, 0.7, num=3 * D * H).reshape(D, 3 * H)
    Wh = np.linspace(-0.4, 0.8, num=3 * H * H).reshape(H, 3 * H)
    bx = np.linspace(-0.3, 0.5, num=3 * H)
    bh = np.linspace(0.6, -0.2, num=3 * H)
    return x, h0, Wx, Wh, bx, bh


# computed once, independently: "pytorch" with torch.nn.GRU (float64, batch_first) on the same weights,
# "cho" with a loop of torch operations as in torch_cho_gru
EXPECTED = {
    "pytorch": np.array([
        [[-0.2916674939, -0.2222972265, -0.1575030057, -0.0972040786, -0.0412848458],
         [-0.0498610692, -0.0044810238, 0.0372136551, 0.0753982408, 0.1102692713],
         [0.1375977822, 0.1733946476, 0.2066897430, 0.2375799854, 0.2661777493]],
        [[0.1716759024, 0.2533233280, 0.3352367388, 0.4175566868, 0.5004166086],
         [0.3264254249, 0.3937692500, 0.4593216065, 0.5238881532, 0.5882189950],
         [0.4304964087, 0.4964625298, 0.5554700430, 0.6097824909, 0.6614998117]]]),
    "cho": np.array([
        [[-0.2840346206, -0.2204315820, -0.1634190540, -0.1131113458, -0.0695404672],
         [-0.0432833370, -0.0086053916, 0.0204316427, 0.0439013350, 0.0619356896],
         [0.1397941893, 0.1620581729, 0.1809093992, 0.1963724554, 0.2085085693]],
        [[0.1776880384, 0.2536100207, 0.3309333003, 0.4096582339, 0.4897828653],
         [0.3417850318, 0.3969489787, 0.4534371617, 0.5115117129, 0.5714095828],
         [0.4587332639, 0.5048782639, 0.5500959323, 0.5953502070, 0.6415247179]]]),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_forward_linspace(variant):
    h, _ = gru_forward(*_linspace_seq(), variant=variant)
    assert rel_error(h, EXPECTED[variant]) < 1e-7


@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_step_forward_linspace(variant):
    x, h0, Wx, Wh, bx, bh = _linspace_seq()
    next_h, _ = gru_step_forward(x[:, 0], h0, Wx, Wh, bx, bh, variant=variant)
    assert rel_error(next_h, EXPECTED[variant][:, 0]) < 1e-7


def test_gru_variants_differ():
    """The two candidates differ (b_hn and W_hn meet r_t in different places), so each test above can fail."""
    assert rel_error(EXPECTED["pytorch"], EXPECTED["cho"]) > 1e-3


# ---------------------------------------------------------------------------------------- one step
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("N,D,H", [(3, 5, 4), (1, 4, 4), (2, 2, 5)])
def test_gru_step_backward(rng, variant, N, D, H):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, N, 1, D, H)
    inputs = [x[:, 0], h0, Wx, Wh, bx, bh]
    pair = numpy_pair(gru_step_forward, gru_step_backward, variant=variant)
    assert_twins(pair, finite_differences(gru_step_forward, h=FD_H, variant=variant), inputs, tol=1e-7)
    assert_twins(pair, torch_autograd(torch_step(variant)), inputs, tol=1e-10)


# ------------------------------------------------------------------------------------ whole sequence
@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_backward_finite_differences(rng, variant):
    inputs = gru_inputs(rng, 2, 10, 3, 4)
    assert_twins(numpy_pair(gru_forward, gru_backward, variant=variant),
                 finite_differences(gru_forward, h=FD_H, variant=variant), inputs, tol=1e-7, grad_tol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("N,T,D,H,zero_h0", [(3, 6, 5, 4, False), (2, 12, 3, 7, True), (1, 4, 6, 3, False),
                                             (4, 1, 2, 5, False)])
def test_gru_against_torch(rng, variant, N, T, D, H, zero_h0):
    inputs = gru_inputs(rng, N, T, D, H, zero_h0)
    assert_twins(numpy_pair(gru_forward, gru_backward, variant=variant), torch_autograd(TORCH_TWIN[variant]),
                 inputs, tol=1e-10)


def test_gru_matches_torch_nn_loaded_with_layout(rng):
    """The weights go through rnnbook.torch.layout.to_torch_params into a real torch.nn.GRU state dict."""
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 3, 7, 4, 5)
    module = torch.nn.GRU(4, 5, batch_first=True).double()
    module.load_state_dict(to_torch_params(Wx, Wh, bx, bh))

    def numpy_fw(x, h0):
        return gru_forward(x, h0, Wx, Wh, bx, bh)

    def numpy_bw(dh, cache):
        return gru_backward(dh, cache)[:2]  # dx, dh0

    assert_twins(numpy_pair(numpy_fw, numpy_bw), torch_autograd(lambda x, h0: module(x, h0[None])[0]), [x, h0],
                 tol=1e-10)


@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_forward_is_the_steps_chained(rng, variant):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 5, 3, 4)
    h, _ = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
    prev_h = h0
    for t in range(x.shape[1]):
        prev_h, _ = gru_step_forward(x[:, t], prev_h, Wx, Wh, bx, bh, variant=variant)
        assert rel_error(h[:, t], prev_h) < 1e-14


# ---------------------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_T1_equals_one_step(rng, variant):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 3, 1, 4, 5)
    h, cache = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
    next_h, step_cache = gru_step_forward(x[:, 0], h0, Wx, Wh, bx, bh, variant=variant)
    assert rel_error(h[:, 0], next_h) < 1e-14
    dh = rng.standard_normal(h.shape)
    seq = gru_backward(dh, cache)
    dx, *rest = gru_step_backward(dh[:, 0], step_cache)
    for a, s in zip(seq, [dx[:, None]] + rest):
        assert rel_error(a, s) < 1e-12


def test_gru_initial_state_matters(rng):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 3, 3, 4)
    h_given, _ = gru_forward(x, h0, Wx, Wh, bx, bh)
    h_zero, _ = gru_forward(x, np.zeros_like(h0), Wx, Wh, bx, bh)
    assert rel_error(h_given, h_zero) > 1e-3


@pytest.mark.parametrize("variant", VARIANTS)
def test_gru_float32_stays_float32(rng, variant):
    x, h0, Wx, Wh, bx, bh = (a.astype(np.float32) for a in gru_inputs(rng, 2, 5, 3, 4))
    h, cache = gru_forward(x, h0, Wx, Wh, bx, bh, variant=variant)
    assert h.dtype == np.float32
    assert [g.dtype for g in gru_backward(np.ones_like(h), cache)] == [np.float32] * 6
    next_h, step_cache = gru_step_forward(x[:, 0], h0, Wx, Wh, bx, bh, variant=variant)
    assert next_h.dtype == np.float32
    assert [g.dtype for g in gru_step_backward(next_h, step_cache)] == [np.float32] * 6
    h64, _ = gru_forward(*(a.astype(np.float64) for a in (x, h0, Wx, Wh, bx, bh)), variant=variant)
    assert rel_error(h, h64) < 1e-4


def test_gru_large_preactivations_raise_no_warning(rng):
    """pyproject turns RuntimeWarnings from rnnbook into errors: saturated gates must not overflow."""
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 3, 3, 4)
    h, cache = gru_forward(1e4 * x, h0, Wx, Wh, bx, bh)
    assert np.all(np.isfinite(h))
    assert all(np.all(np.isfinite(g)) for g in gru_backward(np.ones_like(h), cache))


# ---------------------------------------------------------------------------------------- bad input
def test_gru_wrong_weight_shape_message(rng):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 3, 32, 128)
    with pytest.raises(ValueError, match=re.escape("Wx: expected (D, 3H) = (32, 384), got (32, 512)")):
        gru_forward(x, h0, np.zeros((32, 512)), Wh, bx, bh)
    with pytest.raises(ValueError, match=re.escape("Wh: expected (H, 3H) = (128, 384), got (128, 256)")):
        gru_forward(x, h0, Wx, Wh[:, :256], bx, bh)
    with pytest.raises(ValueError, match=re.escape("bh: expected (3H) = (384,), got (128,)")):
        gru_forward(x, h0, Wx, Wh, bx, bh[:128])
    # H is bound from prev_h first, so a wrong prev_h shows up as a mismatch with the weights
    with pytest.raises(ValueError, match=re.escape("Wx: expected (D, 3H) = (32, 381), got (32, 384)")):
        gru_step_forward(x[:, 0], h0[:, :127], Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=re.escape("prev_h: expected (N, H) = (2, 128), got (3, 128)")):
        gru_step_forward(x[:, 0], np.zeros((3, 128)), Wx, Wh, bx, bh)


def test_gru_wrong_rank_dtype_and_variant(rng):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=re.escape("x: expected 3 dimensions (N, T, D), got 2 dimensions (2, 4)")):
        gru_forward(x[:, 0], h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match="h0: expected a floating-point dtype, got int64"):
        gru_forward(x, h0.astype(np.int64), Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=re.escape("variant: expected one of ['cho', 'pytorch'], got 'keras'")):
        gru_forward(x, h0, Wx, Wh, bx, bh, variant="keras")


def test_gru_backward_bad_upstream(rng):
    x, h0, Wx, Wh, bx, bh = gru_inputs(rng, 2, 3, 4, 5)
    h, cache = gru_forward(x, h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=re.escape("dh: expected (N, T, H) = (2, 3, 5), got (2, 3, 4)")):
        gru_backward(h[..., :4], cache)
    _, step_cache = gru_step_forward(x[:, 0], h0, Wx, Wh, bx, bh)
    with pytest.raises(ValueError, match=re.escape("dnext_h: expected (N, H) = (2, 5), got (3, 5)")):
        gru_step_backward(np.zeros((3, 5)), step_cache)
    with pytest.raises(ValueError, match="cache: expected the cache returned by gru_forward"):
        gru_backward(h, step_cache)
