"""Pascanu et al.'s regulariser Omega against the error signals autograd computes step by step."""

import torch

from rnnbook.experiments.temporal_order import _Net, omega, setting_name


def unrolled(rnn, head, x, y):
    """The loss of torch.nn.RNN's tanh recurrence written out, and every h_t with its total gradient."""
    N, L, _ = x.shape
    h = torch.zeros(N, rnn.hidden_size, dtype=x.dtype)
    hs = []
    for t in range(L):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        h.retain_grad()
        hs.append(h)
    loss = torch.nn.functional.cross_entropy(head(h), y)
    loss.backward()
    return loss, torch.stack([t.detach() for t in hs], 1), torch.stack([t.grad for t in hs], 1)  # (N, L, H) twice


def test_omega_is_the_mean_squared_deviation_of_the_error_signals_norm_ratio_from_one():
    torch.manual_seed(0)
    rnn = torch.nn.RNN(6, 7, batch_first=True).double()
    head = torch.nn.Linear(7, 4).double()
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(3.0)  # ratios far from one, both ways
    x = torch.randn(5, 9, 6, dtype=torch.float64)
    y = torch.randint(0, 4, (5,))
    _, states, g = unrolled(rnn, head, x, y)
    out, _ = rnn(x)
    torch.testing.assert_close(out.detach(), states)
    ratio = (g[:, :-1] ** 2).sum(-1) / (g[:, 1:] ** 2).sum(-1)  # ||g_{t-1}||^2 / ||g_t||^2, (N, L-1)
    expected = ((ratio - 1) ** 2).mean()
    got = omega(out, rnn.weight_hh_l0, g[:, -1])
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=0)
    assert got > 0.1  # the case is not trivial


def test_omega_reaches_w_hh_alone_and_survives_vanishing_signals():
    torch.manual_seed(1)
    rnn = torch.nn.RNN(6, 5, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(0.05)  # error signals shrink twentyfold a step: 1e-260 after 200 steps
    x = torch.randn(3, 200, 6)
    out, _ = rnn(x)
    om = omega(out, rnn.weight_hh_l0, torch.randn(3, 5))
    assert torch.isfinite(om) and om > 0.5  # ratios near zero: every term near one
    grads = torch.autograd.grad(om, [rnn.weight_hh_l0, rnn.weight_ih_l0, rnn.bias_hh_l0], allow_unused=True)
    assert grads[0] is not None and torch.isfinite(grads[0]).all() and grads[0].abs().sum() > 0
    assert grads[1] is None and grads[2] is None


def test_sparse_initialisation_has_the_stated_spectral_radius_and_row_support():
    torch.manual_seed(2)
    W = _Net(50, "sparse", 0.95).rnn.weight_hh_l0.detach()
    assert abs(torch.linalg.eigvals(W).abs().max().item() - 0.95) < 1e-5
    assert ((W != 0).sum(1) == 15).all()
    assert setting_name(None, 0.0) == "SGD" and setting_name(1.0, 2.0) == "SGD + clipping at 1 + 2 Omega"
