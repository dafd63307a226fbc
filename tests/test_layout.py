import numpy as np
import pytest
import torch

from rnnbook.torch.layout import from_torch_params, to_torch_params


@pytest.mark.parametrize("gates,module", [(1, torch.nn.RNN), (4, torch.nn.LSTM), (3, torch.nn.GRU)])
def test_round_trip_through_torch_nn(gates, module, rng):
    D, H = 3, 5
    Wx, Wh = rng.standard_normal((D, gates * H)), rng.standard_normal((H, gates * H))
    bx, bh = rng.standard_normal(gates * H), rng.standard_normal(gates * H)
    m = module(D, H, batch_first=True).double()
    m.load_state_dict(to_torch_params(Wx, Wh, bx, bh))  # strict: every name must match torch.nn's
    Wx2, Wh2, bx2, bh2 = from_torch_params(m.state_dict(), merge_bias=False)
    for a, b in [(Wx, Wx2), (Wh, Wh2), (bx, bx2), (bh, bh2)]:
        np.testing.assert_array_equal(a, b)
    _, _, b = from_torch_params(m.state_dict())
    np.testing.assert_allclose(b, bx + bh, rtol=0, atol=1e-15)


def test_reverse_and_layer_suffixes(rng):
    p = to_torch_params(rng.standard_normal((2, 4)), rng.standard_normal((4, 4)), np.zeros(4), layer=1, reverse=True)
    assert sorted(p) == ["bias_hh_l1_reverse", "bias_ih_l1_reverse", "weight_hh_l1_reverse", "weight_ih_l1_reverse"]
    assert p["weight_ih_l1_reverse"].shape == (4, 2)


def test_bad_shapes_are_named(rng):
    with pytest.raises(ValueError, match="Wx, Wh: expected"):
        to_torch_params(rng.standard_normal((2, 4)), rng.standard_normal((3, 8)), np.zeros(4))
    with pytest.raises(ValueError, match="params: expected weight_ih_l0"):
        from_torch_params({})
