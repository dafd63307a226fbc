import numpy as np
import pytest
import torch

from rnnbook._validate import check_shape


def test_message_names_argument_letters_and_numbers():
    dims = {}
    check_shape("x", np.zeros((2, 5, 32)), "N, T, D", dims)
    check_shape("h0", np.zeros((2, 128)), "N, H", dims)
    with pytest.raises(ValueError, match=r"^Wx: expected \(D, 4H\) = \(32, 512\), got \(32, 384\)$"):
        check_shape("Wx", np.zeros((32, 384)), "D, 4H", dims)


def test_rank_and_dtype_errors():
    with pytest.raises(ValueError, match=r"b: expected 1 dimensions \(4H\), got 2 dimensions \(3, 4\)"):
        check_shape("b", np.zeros((3, 4)), "4H", {})
    with pytest.raises(ValueError, match="x: expected a floating-point dtype, got int64"):
        check_shape("x", np.zeros((2, 3), dtype=np.int64), "N, D", {})
    with pytest.raises(ValueError, match="x: expected a floating-point dtype, got torch.int64"):
        check_shape("x", torch.zeros(2, 3, dtype=torch.int64), "N, D", {})
    with pytest.raises(ValueError, match="x: expected an array"):
        check_shape("x", [[1.0]], "N, D", {})
