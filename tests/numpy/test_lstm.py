"""LSTM: fixed values, finite differences, torch.nn.LSTM, gate activations, edge cases and bad input."""

import re

import numpy as np
import pytest
import torch
from torch.func import functional_call
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import rel_error
from rnnbook.numpy.lstm import lstm_backward, lstm_forward, lstm_gates, lstm_step_backward, lstm_step_forward
from rnnbook.torch.layout import to_torch_params

# Centred-difference step. h = 1e-5 balances truncation (~h²) against rounding (~1e-16 |f| / h), which leaves
# an absolute floor of ~3e-11 on every difference. An entry of size ~1e-5 (a dW entry where the batch cancels)
# then shows a relative error ~1e-7 that is the finite difference's, not the backward's (torch autograd agrees
# with it to 1e-15): over 30 seeds of these step shapes the worst case was 3.6e-6, always on such an entry.
# The step draws below (rng fixture, seed 0) stay under the 1e-7 bound; the comparison with torch autograd checks
# every entry, small ones included, to 1e-10.
FD_H = 1e-5


def lstm_inputs(rng, N, T, D, H, zero_state=False):
    """[x, h0, Wx, Wh, b, c0]: x ~ N(0, 1), weights and biases ~ N(0, 0.3²), h0, c0 ~ N(0, 0.5²) or zeros."""
    x = rng.standard_normal((N, T, D))
    h0, c0 = (np.zeros((N, H)), np.zeros((N, H))) if zero_state else (0.5 * rng.standard_normal((N, H)),
                                                                      0.5 * rng.standard_normal((N, H)))
    Wx, Wh, b = 0.3 * rng.standard_normal((D, 4 * H)), 0.3 * rng.standard_normal((H, 4 * H)), \
        0.3 * rng.standard_normal(4 * H)
    return [x, h0, Wx, Wh, b, c0]


def torch_nn_lstm(x, h0, Wx, Wh, b, c0=None, *, state=False):
    """torch.nn.LSTM (batch first, float64) on the given weights: weight_ih = Wxᵀ, weight_hh = Whᵀ, bias_ih = b."""
    D, H = Wx.shape[0], Wh.shape[0]
    module = torch.nn.LSTM(D, H, batch_first=True).double()
    params = {"weight_ih_l0": Wx.T, "weight_hh_l0": Wh.T, "bias_ih_l0": b, "bias_hh_l0": torch.zeros_like(b)}
    c0 = torch.zeros_like(h0) if c0 is None else c0
    out, (hT, cT) = functional_call(module, params, (x, (h0[None], c0[None])))
    return (out, cT[0]) if state else out


def torch_step(x, prev_h, prev_c, Wx, Wh, b):
    """One step with torch.nn.LSTM on a length-1 sequence: (next_h, next_c)."""
    h, c = torch_nn_lstm(x[:, None], prev_h, Wx, Wh, b, prev_c, state=True)
    return h[:, 0], c


# ------------------------------------------------------------------------------------ fixed values
def _linspace_step():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    return x, prev_h, prev_c, Wx, Wh, b


def test_lstm_step_forward_linspace():
    next_h, next_c, _ = lstm_step_forward(*_linspace_step())
    # computed once with torch.nn.LSTMCell (float64) on the same weights
    expected_h = np.array([[0.2668755074, 0.3045897228, 0.3387102465, 0.3692931154, 0.3964535585],
                           [0.5117968703, 0.5805183820, 0.6425612410, 0.6975189511, 0.7454099664],
                           [0.6078337411, 0.7011102930, 0.7778016746, 0.8373265579, 0.8815933989]])
    expected_c = np.array([[0.3757893615, 0.4396359307, 0.5020606204, 0.5630251056, 0.6224919241],
                           [0.6366185639, 0.7441737569, 0.8533346690, 0.9637241137, 1.0749915251],
                           [0.7334483541, 0.9001074280, 1.0732604582, 1.2486247006, 1.4222889258]])
    assert rel_error(next_h, expected_h) < 1e-7
    assert rel_error(next_c, expected_c) < 1e-7


def test_lstm_forward_linspace():
    N, T, D, H = 2, 3, 5, 4
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    h, cache = lstm_forward(x, h0, Wx, Wh, b)
    # computed once with torch.nn.LSTM (float64, batch_first) on the same weights, c0 = 0
    expected = np.array([
        [[0.0154833693, 0.0160741394, 0.0166670631, 0.0172621359],
         [0.0904005202, 0.0991719724, 0.1081149911, 0.1172166204],
         [0.2767892435, 0.2983322180, 0.3197962126, 0.3411069282]],
        [[0.4626763866, 0.4829714207, 0.5020688997, 0.5200032145],
         [0.6919317656, 0.7164486235, 0.7387140240, 0.7589144987],
         [0.8491147435, 0.8675716197, 0.8834526783, 0.8971430116]]])
    expected_cT = np.array([[0.4243776393, 0.4556483732, 0.4869606265, 0.5182617655],
                            [1.6195884785, 1.7088459729, 1.7943945557, 1.8760776833]])
    assert rel_error(h, expected) < 1e-7
    assert rel_error(lstm_gates(cache)["c"][:, -1], expected_cT) < 1e-7


# ---------------------------------------------------------------------------------------- one step
@pytest.mark.parametrize("N,D,H", [(3, 5, 4), (1, 4, 4), (2, 2, 5)])
def test_lstm_step_backward(rng, N, D, H):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, N, 1, D, H)
    inputs = [x[:, 0], h0, c0, Wx, Wh, b]
    pair = numpy_pair(lstm_step_forward, lstm_step_backward, n_out=2)
    assert_twins(pair, finite_differences(lstm_step_forward, n_out=2, h=FD_H), inputs, tol=1e-7)
    assert_twins(pair, torch_autograd(torch_step), inputs, tol=1e-10)


# ------------------------------------------------------------------------------------ whole sequence
@pytest.mark.parametrize("with_c0", [True, False])
def test_lstm_backward_finite_differences(rng, with_c0):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 10, 3, 4)
    inputs = [x, h0, Wx, Wh, b] + ([c0] if with_c0 else [])
    assert_twins(numpy_pair(lstm_forward, lstm_backward), finite_differences(lstm_forward, h=FD_H), inputs,
                 tol=1e-7, grad_tol=1e-6)


@pytest.mark.parametrize("N,T,D,H,zero_state", [(3, 6, 5, 4, False), (2, 12, 3, 7, True), (1, 4, 6, 3, False),
                                                (4, 1, 2, 5, False)])
def test_lstm_against_torch_nn(rng, N, T, D, H, zero_state):
    inputs = lstm_inputs(rng, N, T, D, H, zero_state)
    assert_twins(numpy_pair(lstm_forward, lstm_backward), torch_autograd(torch_nn_lstm), inputs, tol=1e-10)


def test_lstm_without_c0_against_torch_nn(rng):
    inputs = lstm_inputs(rng, 3, 5, 4, 6)[:5]
    assert_twins(numpy_pair(lstm_forward, lstm_backward), torch_autograd(torch_nn_lstm), inputs, tol=1e-10)


def test_lstm_matches_torch_nn_loaded_with_layout(rng):
    """The weights go through rnnbook.torch.layout.to_torch_params into a real torch.nn.LSTM state dict."""
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 3, 7, 4, 5)
    module = torch.nn.LSTM(4, 5, batch_first=True).double()
    module.load_state_dict(to_torch_params(Wx, Wh, b))

    def torch_fn(x, h0, c0):
        out, (hT, cT) = module(x, (h0[None], c0[None]))
        return out, cT[0]

    def numpy_fw(x, h0, c0):
        h, cache = lstm_forward(x, h0, Wx, Wh, b, c0=c0)
        return h, lstm_gates(cache)["c"][:, -1], cache

    # outputs h and c_T against the loaded module, then the gradients of x, h0 and c0
    assert_twins(numpy_pair(numpy_fw, None, n_out=2), torch_autograd(torch_fn), [x, h0, c0], tol=1e-10,
                 grads=False)

    def numpy_fw_h(x, h0, c0):
        return lstm_forward(x, h0, Wx, Wh, b, c0=c0)

    def numpy_bw_h(dh, cache):
        dx, dh0, _, _, _, dc0 = lstm_backward(dh, cache)
        return dx, dh0, dc0

    assert_twins(numpy_pair(numpy_fw_h, numpy_bw_h), torch_autograd(lambda x, h0, c0: torch_fn(x, h0, c0)[0]),
                 [x, h0, c0], tol=1e-10)


def test_lstm_forward_is_the_steps_chained(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 5, 3, 4)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    prev_h, prev_c = h0, c0
    for t in range(x.shape[1]):
        prev_h, prev_c, _ = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        assert rel_error(h[:, t], prev_h) < 1e-14
    assert rel_error(lstm_gates(cache)["c"][:, -1], prev_c) < 1e-14


# ------------------------------------------------------------------------------------ gate activations
def test_lstm_gates_are_consistent(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 3, 6, 4, 5)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    gates = lstm_gates(cache)
    assert sorted(gates) == ["c", "f", "g", "i", "o"]
    for k in "ifgoc":
        assert gates[k].shape == (3, 6, 5)
    for k in "ifo":
        assert np.all((gates[k] > 0) & (gates[k] < 1))
    assert np.all(np.abs(gates["g"]) < 1)
    c_prev = np.concatenate([c0[:, None], gates["c"][:, :-1]], axis=1)
    assert rel_error(gates["c"], gates["f"] * c_prev + gates["i"] * gates["g"]) < 1e-14
    assert rel_error(h, gates["o"] * np.tanh(gates["c"])) < 1e-14
    # the torch.nn.LSTM final cell state agrees
    _, cT = torch_nn_lstm(*map(torch.tensor, (x, h0, Wx, Wh, b, c0)), state=True)
    assert rel_error(gates["c"][:, -1], cT.numpy()) < 1e-10
    # copies: writing into them leaves the cache (and so the backward pass) untouched
    gates["i"][...] = 0
    assert np.all(lstm_gates(cache)["i"] > 0)


def test_lstm_gates_rejects_other_caches(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 1, 3, 4)
    _, _, step_cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match="cache: expected the cache returned by lstm_forward"):
        lstm_gates(step_cache)


# ---------------------------------------------------------------------------------------- edge cases
def test_lstm_T1_equals_one_step(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 3, 1, 4, 5)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    next_h, next_c, step_cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    assert rel_error(h[:, 0], next_h) < 1e-14
    dh = rng.standard_normal(h.shape)
    seq = lstm_backward(dh, cache)
    step = lstm_step_backward(dh[:, 0], np.zeros_like(next_c), step_cache)
    dx, dprev_h, dprev_c, dWx, dWh, db = step
    for a, s in zip(seq, (dx[:, None], dprev_h, dWx, dWh, db, dprev_c)):
        assert rel_error(a, s) < 1e-12


def test_lstm_c0_none_equals_zeros_and_dc0_only_when_given(rng):
    x, h0, Wx, Wh, b, _ = lstm_inputs(rng, 2, 4, 3, 5)
    h_none, cache_none = lstm_forward(x, h0, Wx, Wh, b)
    h_zero, cache_zero = lstm_forward(x, h0, Wx, Wh, b, c0=np.zeros((2, 5)))
    assert rel_error(h_none, h_zero) == 0
    dh = rng.standard_normal(h_none.shape)
    g_none, g_zero = lstm_backward(dh, cache_none), lstm_backward(dh, cache_zero)
    assert len(g_none) == 5 and len(g_zero) == 6
    assert g_zero[5].shape == (2, 5) and np.any(g_zero[5] != 0)
    for a, z in zip(g_none, g_zero[:5]):
        assert rel_error(a, z) == 0


def test_lstm_initial_state_matters(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 3, 3, 4)
    h_given, _ = lstm_forward(x, h0, Wx, Wh, b, c0)
    h_zero, _ = lstm_forward(x, np.zeros_like(h0), Wx, Wh, b, np.zeros_like(c0))
    assert rel_error(h_given, h_zero) > 1e-3


def test_lstm_float32_stays_float32(rng):
    x, h0, Wx, Wh, b, c0 = (a.astype(np.float32) for a in lstm_inputs(rng, 2, 5, 3, 4))
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    assert h.dtype == np.float32
    assert all(v.dtype == np.float32 for v in lstm_gates(cache).values())
    grads = lstm_backward(np.ones_like(h), cache)
    assert [g.dtype for g in grads] == [np.float32] * 6
    next_h, next_c, step_cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    assert next_h.dtype == next_c.dtype == np.float32
    assert [g.dtype for g in lstm_step_backward(next_h, next_c, step_cache)] == [np.float32] * 6
    # and agrees with float64 to float32 precision
    h64, _ = lstm_forward(*(a.astype(np.float64) for a in (x, h0, Wx, Wh, b, c0)))
    assert rel_error(h, h64) < 1e-4


def test_lstm_large_preactivations_raise_no_warning(rng):
    """pyproject turns RuntimeWarnings from rnnbook into errors: saturated gates must not overflow."""
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 3, 3, 4)
    h, cache = lstm_forward(1e4 * x, h0, Wx, Wh, b, c0)
    assert np.all(np.isfinite(h))
    assert all(np.all(np.isfinite(g)) for g in lstm_backward(np.ones_like(h), cache))


# ---------------------------------------------------------------------------------------- bad input
def _bench_sized(rng):
    N, T, D, H = 2, 3, 32, 128
    return lstm_inputs(rng, N, T, D, H)


def test_lstm_wrong_weight_shape_message(rng):
    x, h0, Wx, Wh, b, c0 = _bench_sized(rng)
    with pytest.raises(ValueError, match=re.escape("Wx: expected (D, 4H) = (32, 512), got (32, 384)")):
        lstm_forward(x, h0, Wx[:, :384], Wh, b, c0)
    with pytest.raises(ValueError, match=re.escape("Wh: expected (H, 4H) = (128, 512), got (128, 384)")):
        lstm_forward(x, h0, Wx, Wh[:, :384], b, c0)
    with pytest.raises(ValueError, match=re.escape("b: expected (4H) = (512,), got (384,)")):
        lstm_forward(x, h0, Wx, Wh, b[:384], c0)
    with pytest.raises(ValueError, match=re.escape("c0: expected (N, H) = (2, 128), got (3, 128)")):
        lstm_forward(x, h0, Wx, Wh, b, np.zeros((3, 128)))
    with pytest.raises(ValueError, match=re.escape("prev_c: expected (N, H) = (2, 128), got (2, 64)")):
        lstm_step_forward(x[:, 0], h0, c0[:, :64], Wx, Wh, b)


def test_lstm_wrong_rank_and_dtype(rng):
    x, h0, Wx, Wh, b, c0 = _bench_sized(rng)
    with pytest.raises(ValueError, match=re.escape("x: expected 3 dimensions (N, T, D), got 2 dimensions (2, 32)")):
        lstm_forward(x[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x: expected 2 dimensions \(N, D\), got 3 dimensions"):
        lstm_step_forward(x, h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match="x: expected a floating-point dtype, got int64"):
        lstm_forward(x.astype(np.int64), h0, Wx, Wh, b)


def test_lstm_backward_bad_upstream(rng):
    x, h0, Wx, Wh, b, c0 = lstm_inputs(rng, 2, 3, 4, 5)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    with pytest.raises(ValueError, match=re.escape("dh: expected (N, T, H) = (2, 3, 5), got (2, 4, 5)")):
        lstm_backward(np.zeros((2, 4, 5)), cache)
    _, next_c, step_cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("dnext_c: expected 2 dimensions (N, H), got 1 dimensions (5,)")):
        lstm_step_backward(h[:, 0], next_c[0], step_cache)
    with pytest.raises(ValueError, match="cache: expected the cache returned by lstm_forward"):
        lstm_backward(h, step_cache)


# ------------------------------------------------------------------------------- the private sigmoid
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_private_sigmoid_accurate_and_warning_free(dtype):
    """The gates' sigmoid: no warning for |x| ≤ 1e4, exact limits, relative accuracy even where σ(x) is tiny."""
    from rnnbook.numpy._sigmoid import sigmoid

    x = np.concatenate([np.linspace(-1e4, 1e4, 2001), np.linspace(-80, 80, 4001)]).astype(dtype)
    with np.errstate(all="raise"):  # any floating-point warning outside the sigmoid's own errstate would raise
        s = sigmoid(x)
    assert s.dtype == dtype
    assert s[0] == 0 and s[2000] == 1
    xd = x.astype(np.float64)
    ref = np.exp(np.minimum(xd, 0)) / (1 + np.exp(-np.abs(xd)))  # the textbook stable form, in float64
    normal = ref > np.finfo(dtype).tiny
    rel = np.abs(s[normal] - ref[normal]) / ref[normal]
    assert rel.max() < 4 * np.finfo(dtype).eps
    out = x.copy()
    assert sigmoid(out, out=out) is out and np.array_equal(out, s)  # in place
