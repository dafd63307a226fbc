"""Truncated BPTT, global-norm clipping and the update rules, against independent torch computations."""

import numpy as np
import pytest
import torch

from rnnbook.numpy import (adam, clip_grad_norm, rel_error, rnn_backward, rnn_forward, rnn_truncated_bptt, sgd,
                           sgd_momentum, tbptt_chunks)


def rnn_inputs(rng, N, T, D, H):
    return [rng.standard_normal((N, T, D)), 0.5 * rng.standard_normal((N, H)), 0.3 * rng.standard_normal((D, H)),
            0.3 * rng.standard_normal((H, H)), 0.3 * rng.standard_normal(H)]


# -------------------------------------------------------------------------------------------- TBPTT
def test_tbptt_chunks():
    assert tbptt_chunks(7, 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert tbptt_chunks(6, 3) == [slice(0, 3), slice(3, 6)]
    assert tbptt_chunks(4, 10) == [slice(0, 4)]
    assert tbptt_chunks(1, 1) == [slice(0, 1)]
    with pytest.raises(ValueError, match=r"k: expected a positive integer chunk length, got 0"):
        tbptt_chunks(5, 0)
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        tbptt_chunks(0, 2)


@pytest.mark.parametrize("k_extra", [0, 5])
def test_tbptt_with_k_at_least_T_is_full_bptt_exactly(rng, k_extra):
    N, T, D, H = 2, 8, 3, 4
    x, h0, Wx, Wh, b = rnn_inputs(rng, N, T, D, H)
    dh = rng.standard_normal((N, T, H))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)
    h_last, grads = rnn_truncated_bptt(x, h0, Wx, Wh, b, lambda h_chunk, sl: dh[:, sl], k=T + k_extra)
    assert np.array_equal(h_last, h[:, -1])
    for name, full in zip(("x", "h0", "Wx", "Wh", "b"), (dx, dh0, dWx, dWh, db)):
        assert np.array_equal(grads[name], full), name


def torch_chunkwise_grads(x, h0, Wx, Wh, b, dh, k):
    """Independent reference: a torch loop over time that detaches the state at every chunk border."""
    ts = [torch.tensor(a, requires_grad=True) for a in (x, h0, Wx, Wh, b)]
    tx, th0, tWx, tWh, tb = ts
    h, total = th0, 0.0
    for t in range(x.shape[1]):
        if t > 0 and t % k == 0:
            h = h.detach()  # the gradient is cut here; the value is carried
        h = torch.tanh(tx[:, t] @ tWx + h @ tWh + tb)
        total = total + (h * torch.tensor(dh[:, t])).sum()
    total.backward()
    return h.detach().numpy(), {n: t.grad.numpy() for n, t in zip(("x", "h0", "Wx", "Wh", "b"), ts)}


@pytest.mark.parametrize("N,T,k", [(2, 10, 3), (1, 12, 4), (3, 5, 1)])
def test_tbptt_equals_sum_of_detached_chunks(rng, N, T, k):
    D, H = 3, 5
    x, h0, Wx, Wh, b = rnn_inputs(rng, N, T, D, H)
    dh = rng.standard_normal((N, T, H))
    seen = []

    def dh_fn(h_chunk, sl):
        seen.append((sl, h_chunk.shape))
        return dh[:, sl]

    h_last, grads = rnn_truncated_bptt(x, h0, Wx, Wh, b, dh_fn, k=k)
    assert [s for s, _ in seen] == tbptt_chunks(T, k)
    assert all(shape == (N, s.stop - s.start, H) for s, shape in seen)
    want_last, want = torch_chunkwise_grads(x, h0, Wx, Wh, b, dh, k)
    assert rel_error(h_last, want_last) < 1e-10
    for name in want:
        assert rel_error(grads[name], want[name]) < 1e-10, name
    # and truncation really changes the gradient: full BPTT differs
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    assert np.max(np.abs(rnn_backward(dh, cache)[2] - grads["Wx"])) > 1e-6


def test_tbptt_bad_dh_fn(rng):
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 6, 3, 4)
    with pytest.raises(ValueError, match=r"dh_fn\(\.\.\.\): expected \(N, L, H\) = \(2, 3, 4\), got \(2, 3, 5\)"):
        rnn_truncated_bptt(x, h0, Wx, Wh, b, lambda h, sl: np.zeros((2, 3, 5)), k=3)


# --------------------------------------------------------------------------------------- clipping
def _torch_clip(arrays, max_norm):
    ps = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in arrays]
    for p, a in zip(ps, arrays):
        p.grad = torch.tensor(a)
    norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
    return [p.grad.numpy() for p in ps], float(norm)


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
def test_clip_grad_norm_against_torch(rng, max_norm):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 2, 2))]
    originals = [g.copy() for g in grads]
    clipped, total = clip_grad_norm(grads, max_norm)
    want, want_total = _torch_clip(grads, max_norm)
    assert rel_error(total, want_total) < 1e-12
    assert rel_error(total, np.sqrt(sum(np.sum(g ** 2) for g in grads))) < 1e-12
    for c, w, g, o in zip(clipped, want, grads, originals):
        assert rel_error(c, w) < 1e-12
        assert np.array_equal(g, o)  # not modified in place
    new_norm = np.sqrt(sum(np.sum(c ** 2) for c in clipped))
    assert new_norm <= max_norm * (1 + 1e-12)
    if total < max_norm:
        assert all(np.array_equal(c, g) for c, g in zip(clipped, grads))


def test_clip_grad_norm_dict_and_tuple(rng):
    grads = {"Wx": 10 * rng.standard_normal((3, 4)), "b": 10 * rng.standard_normal(4)}
    clipped, total = clip_grad_norm(grads, 1.0)
    assert set(clipped) == {"Wx", "b"} and total > 1.0
    assert rel_error(np.sqrt(sum(np.sum(c ** 2) for c in clipped.values())), 1.0) < 1e-5  # 1e-6 in the coefficient
    assert rel_error(clipped["Wx"] / grads["Wx"], np.full((3, 4), clipped["b"][0] / grads["b"][0])) < 1e-12
    as_list, _ = clip_grad_norm(tuple(grads.values()), 1.0)
    assert isinstance(as_list, list) and rel_error(as_list[0], clipped["Wx"]) < 1e-15


def test_clip_grad_norm_bad_input(rng):
    with pytest.raises(ValueError, match=r"max_norm: expected a positive number, got -1"):
        clip_grad_norm([rng.standard_normal(3)], -1)
    with pytest.raises(ValueError, match=r"grads\['b'\]: expected a floating-point dtype, got int64"):
        clip_grad_norm({"b": np.arange(3)}, 1.0)


# --------------------------------------------------------------------------------------- optimisers
N, D = 4, 5


def test_sgd_momentum_linspace():
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-3, "velocity": v}
    next_w, cfg = sgd_momentum(w, dw, config)
    expected_w = np.array([[0.1406, 0.2073894737, 0.2741789474, 0.3409684211, 0.4077578947],
                           [0.4745473684, 0.5413368421, 0.6081263158, 0.6749157895, 0.7417052632],
                           [0.8084947368, 0.8752842105, 0.9420736842, 1.0088631579, 1.0756526316],
                           [1.1424421053, 1.2092315789, 1.2760210526, 1.3428105263, 1.4096]])
    expected_v = np.array([[0.5406, 0.5547578947, 0.5689157895, 0.5830736842, 0.5972315789],
                           [0.6113894737, 0.6255473684, 0.6397052632, 0.6538631579, 0.6680210526],
                           [0.6821789474, 0.6963368421, 0.7104947368, 0.7246526316, 0.7388105263],
                           [0.7529684211, 0.7671263158, 0.7812842105, 0.7954421053, 0.8096]])
    assert rel_error(next_w, expected_w) < 1e-7
    assert rel_error(cfg["velocity"], expected_v) < 1e-7
    assert config["velocity"] is v and np.array_equal(v, np.linspace(0.6, 0.9, num=N * D).reshape(N, D))


def test_adam_linspace():
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    next_w, cfg = adam(w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
    expected_w = np.array([[-0.4009474717, -0.3483618690, -0.2957770321, -0.2431929884, -0.1906097663],
                           [-0.1380273962, -0.0854459098, -0.0328653407, 0.0197142755, 0.0722929013],
                           [0.1248704968, 0.1774470200, 0.2300224262, 0.2825966678, 0.3351696943],
                           [0.3877414521, 0.4403118838, 0.4928809284, 0.5454485205, 0.5980145902]])
    expected_v = np.array([[0.69966, 0.6890838227, 0.6785131856, 0.6679480886, 0.6573885319],
                           [0.6468345152, 0.6362860388, 0.6257431025, 0.6152057064, 0.6046738504],
                           [0.5941475346, 0.5836267590, 0.5731115235, 0.5626018283, 0.5520976731],
                           [0.5415990582, 0.5311059834, 0.5206184488, 0.5101364543, 0.49966]])
    expected_m = np.array([[0.48, 0.4994736842, 0.5189473684, 0.5384210526, 0.5578947368],
                           [0.5773684211, 0.5968421053, 0.6163157895, 0.6357894737, 0.6552631579],
                           [0.6747368421, 0.6942105263, 0.7136842105, 0.7331578947, 0.7526315789],
                           [0.7721052632, 0.7915789474, 0.8110526316, 0.8305263158, 0.85]])
    assert rel_error(next_w, expected_w) < 1e-7
    assert rel_error(cfg["v"], expected_v) < 1e-7
    assert rel_error(cfg["m"], expected_m) < 1e-7
    assert cfg["t"] == 6


def test_sgd():
    w, dw = np.linspace(-1, 1, 6), np.linspace(2, 3, 6)
    next_w, cfg = sgd(w, dw)
    assert rel_error(next_w, w - 1e-2 * dw) < 1e-15 and cfg["learning_rate"] == 1e-2


def _run_against_torch(rng, rule, config, make_opt, steps=8):
    """Several steps on a quadratic-plus-noise gradient, our rule against a torch optimiser, float64."""
    w0 = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))
    noise = [0.1 * rng.standard_normal((3, 4)) for _ in range(steps)]
    grad = lambda w, i: w @ (A @ A.T) + noise[i]  # noqa: E731
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = make_opt([p])
    w, cfg = w0.copy(), dict(config)
    for i in range(steps):
        g = grad(w, i)
        p.grad = torch.tensor(grad(p.detach().numpy(), i))
        opt.step()
        w, cfg = rule(w, g, cfg)
        assert rel_error(w, p.detach().numpy()) < 1e-10, f"step {i}"
    assert np.max(np.abs(w - w0)) > 1e-3  # it moved


def test_sgd_momentum_against_torch(rng):
    _run_against_torch(rng, sgd_momentum, {"learning_rate": 0.05, "momentum": 0.9},
                       lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9))


def test_sgd_against_torch(rng):
    _run_against_torch(rng, sgd, {"learning_rate": 0.05}, lambda ps: torch.optim.SGD(ps, lr=0.05))


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_adam_against_torch(rng, lr):
    config = {} if lr == 1e-3 else {"learning_rate": lr}  # lr 1e-3 checks that the defaults are torch's
    _run_against_torch(rng, adam, config, lambda ps: torch.optim.Adam(ps, lr=lr), steps=10)


@pytest.mark.parametrize("rule", [sgd, sgd_momentum, adam])
def test_update_rules_do_not_modify_inputs(rng, rule):
    w, dw = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    w0, dw0 = w.copy(), dw.copy()
    config = {"learning_rate": 0.1}
    next_w, cfg = rule(w, dw, config)
    assert np.array_equal(w, w0) and np.array_equal(dw, dw0) and config == {"learning_rate": 0.1}
    assert cfg is not config and not np.array_equal(next_w, w)


def test_update_rules_bad_input(rng):
    w = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match=r"dw: expected the shape of w \(2, 3\), got \(3, 2\)"):
        adam(w, rng.standard_normal((3, 2)))
    with pytest.raises(ValueError, match=r"config: expected a dict or None, got list"):
        sgd(w, w, [0.1])
