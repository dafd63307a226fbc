"""Affine, activations, losses, temporal affine and embedding: fixed values, finite differences, torch."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import (affine_backward, affine_forward, rel_error, relu_backward, relu_forward, sigmoid,
                           sigmoid_backward, sigmoid_forward, softmax_loss, tanh_backward, tanh_forward,
                           temporal_affine_backward, temporal_affine_forward, temporal_softmax_loss,
                           word_embedding_backward, word_embedding_forward)


def normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


# ----------------------------------------------------------------------------------------- affine
def test_affine_forward_linspace():
    N, shp, M = 2, (4, 5, 6), 3
    D = 120
    x = np.linspace(-0.1, 0.5, num=N * D).reshape(N, *shp)
    w = np.linspace(-0.2, 0.3, num=D * M).reshape(D, M)
    b = np.linspace(-0.3, 0.1, num=M)
    out, _ = affine_forward(x, w, b)
    expected = np.array([[1.4983496696, 1.7066013217, 1.9148529737],
                         [3.2555319868, 3.5141327024, 3.7727334180]])
    assert rel_error(out, expected) < 1e-7


@pytest.mark.parametrize("xshape", [(3, 5), (1, 5), (2, 3, 2, 2)])
def test_affine_backward_finite_differences(rng, xshape):
    D = int(np.prod(xshape[1:]))
    inputs = [normal(rng, *xshape), normal(rng, D, 4, scale=0.3), normal(rng, 4, scale=0.3)]
    assert_twins(numpy_pair(affine_forward, affine_backward), finite_differences(affine_forward), inputs, tol=1e-7)


def test_affine_against_torch(rng):
    inputs = [normal(rng, 4, 2, 3), normal(rng, 6, 5, scale=0.3), normal(rng, 5, scale=0.3)]
    assert_twins(numpy_pair(affine_forward, affine_backward),
                 torch_autograd(lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b), inputs, tol=1e-10)


def test_affine_bad_input(rng):
    x, w, b = normal(rng, 3, 5), normal(rng, 5, 4), normal(rng, 4)
    with pytest.raises(ValueError, match=r"w: expected \(D, M\) = \(5, 4\), got \(6, 4\)"):
        affine_forward(x, normal(rng, 6, 4), b)
    with pytest.raises(ValueError, match=r"b: expected \(M\) = \(4,\), got \(3,\)"):
        affine_forward(x, w, normal(rng, 3))
    with pytest.raises(ValueError, match=r"x: expected a floating-point dtype, got int64"):
        affine_forward(np.ones((3, 5), dtype=np.int64), w, b)
    with pytest.raises(ValueError, match=r"x: expected at least 2 dimensions"):
        affine_forward(normal(rng, 5), w, b)
    _, cache = affine_forward(x, w, b)
    with pytest.raises(ValueError, match=r"dout: expected \(N, M\) = \(3, 4\), got \(3, 5\)"):
        affine_backward(normal(rng, 3, 5), cache)


# ------------------------------------------------------------------------------------ activations
def test_activation_values_linspace():
    x = np.linspace(-3, 3, 7)
    assert rel_error(sigmoid(x), [0.0474258732, 0.1192029220, 0.2689414214, 0.5, 0.7310585786, 0.8807970780,
                                  0.9525741268]) < 1e-7
    assert rel_error(tanh_forward(x)[0], [-0.9950547537, -0.9640275801, -0.7615941560, 0.0, 0.7615941560,
                                          0.9640275801, 0.9950547537]) < 1e-7
    assert np.array_equal(relu_forward(x)[0], [0, 0, 0, 0, 1, 2, 3])


@pytest.mark.parametrize("fwd,bwd", [(relu_forward, relu_backward), (tanh_forward, tanh_backward),
                                     (sigmoid_forward, sigmoid_backward)])
def test_activation_backward_finite_differences(rng, fwd, bwd):
    x = normal(rng, 4, 5)
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU away from its kink
    assert_twins(numpy_pair(fwd, bwd), finite_differences(fwd), [x], tol=1e-7)


@pytest.mark.parametrize("fwd,bwd,tfn", [(relu_forward, relu_backward, torch.relu),
                                         (tanh_forward, tanh_backward, torch.tanh),
                                         (sigmoid_forward, sigmoid_backward, torch.sigmoid)])
def test_activation_against_torch(rng, fwd, bwd, tfn):
    assert_twins(numpy_pair(fwd, bwd), torch_autograd(tfn), [normal(rng, 3, 4, 5, scale=3.0)], tol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable(dtype):
    x = np.array([-1e6, -1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4, 1e6], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(x)
        out, cache = sigmoid_forward(x)
        dx = sigmoid_backward(np.ones_like(x), cache)
    assert s.dtype == dtype and out.dtype == dtype and dx.dtype == dtype
    assert s[0] == 0.0 and s[1] == 0.0 and s[-1] == 1.0 and s[-2] == 1.0  # exact limits
    assert s[4] == 0.5
    assert np.all(np.diff(s) >= 0) and np.all(np.isfinite(dx))
    ref = torch.sigmoid(torch.tensor(x, dtype=torch.float64)).numpy()
    assert np.max(np.abs(s - ref)) < (1e-7 if dtype == np.float32 else 1e-16)


def test_activation_bad_input(rng):
    with pytest.raises(ValueError, match=r"x: expected a floating-point dtype, got int64"):
        sigmoid(np.arange(3))
    _, cache = tanh_forward(normal(rng, 2, 3))
    with pytest.raises(ValueError, match=r"dout: expected the shape of x \(2, 3\), got \(3, 2\)"):
        tanh_backward(normal(rng, 3, 2), cache)


# ------------------------------------------------------------------------------------------ losses
def _softmax_pair():
    return numpy_pair(lambda x, y: softmax_loss(x, y), lambda dloss, dx: (dloss * dx,), wrt=[0])


def test_softmax_loss_linspace():
    x = np.linspace(-1.2, 2.3, 12).reshape(3, 4)
    y = np.array([0, 3, 1])
    loss, dx = softmax_loss(x, y)
    assert rel_error(loss, 1.5017146826390266) < 1e-7
    expected_dx = np.array([[-0.2847545983, 0.0667776004, 0.0917942372, 0.1261827607],
                            [0.0485787350, 0.0667776004, 0.0917942372, -0.2071505726],
                            [0.0485787350, -0.2665557329, 0.0917942372, 0.1261827607]])
    assert rel_error(dx, expected_dx) < 1e-7


def test_softmax_loss_gradients_and_torch(rng):
    x, y = normal(rng, 5, 7), rng.integers(0, 7, size=5)
    assert_twins(_softmax_pair(), finite_differences(softmax_loss, wrt=[0]), [x, y], tol=1e-7)
    assert_twins(_softmax_pair(), torch_autograd(F.cross_entropy, wrt=[0]), [x, y], tol=1e-10)


def test_softmax_loss_large_scores_stay_finite():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dx = softmax_loss(x, np.array([0, 0]))
    assert rel_error(loss, 1e4) < 1e-12  # example 0 is right (0), example 1 pays 2e4: mean 1e4
    assert np.all(np.isfinite(dx))


def _tsm_pair():
    return numpy_pair(temporal_softmax_loss, lambda dloss, dx: (dloss * dx,), wrt=[0])


def _tsm_torch(x, y, mask):
    N, T, V = x.shape
    nll = F.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), reduction="none")
    return (nll * mask.reshape(N * T).to(x.dtype)).sum() / N


def test_temporal_softmax_loss_linspace():
    x = np.linspace(-0.9, 1.4, 24).reshape(2, 3, 4)
    y = np.array([[0, 3, 2], [1, 1, 0]])
    mask = np.array([[True, True, False], [True, False, True]])
    loss, dx = temporal_softmax_loss(x, y, mask)
    assert rel_error(loss, 2.8850710589103254) < 1e-7
    row = np.array([0.1069191102, 0.1181638912, 0.1305912961, 0.1443257026])
    expected = np.zeros((2, 3, 4))
    expected[0, 0] = row - [0.5, 0, 0, 0]
    expected[0, 1] = row - [0, 0, 0, 0.5]
    expected[1, 0] = row - [0, 0.5, 0, 0]
    expected[1, 2] = row - [0.5, 0, 0, 0]
    assert rel_error(dx, expected) < 1e-7


@pytest.mark.parametrize("N,T,V", [(3, 4, 5), (1, 1, 3), (2, 10, 4)])
def test_temporal_softmax_loss_gradients_and_torch(rng, N, T, V):
    x, y = normal(rng, N, T, V), rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) > 0.3
    mask[0, 0] = True
    assert_twins(_tsm_pair(), finite_differences(temporal_softmax_loss, wrt=[0]), [x, y, mask], tol=1e-7)
    assert_twins(_tsm_pair(), torch_autograd(_tsm_torch, wrt=[0]), [x, y, mask], tol=1e-10)


def test_temporal_softmax_loss_single_visible_position(rng):
    N, T, V = 3, 5, 6
    x, y = normal(rng, N, T, V), rng.integers(0, V, size=(N, T))
    mask = np.zeros((N, T), dtype=bool)
    mask[1, 2] = True
    loss, dx = temporal_softmax_loss(x, y, mask)
    single, dsingle = softmax_loss(x[1, 2][None], y[1, 2][None])
    assert rel_error(loss, single / N) < 1e-12  # summed over time, averaged over N (not over positions)
    assert rel_error(dx[1, 2], dsingle[0] / N) < 1e-12
    dx[1, 2] = 0
    assert np.all(dx == 0)
    loss0, dx0 = temporal_softmax_loss(x, y, np.zeros((N, T), dtype=bool))
    assert loss0 == 0 and np.all(dx0 == 0)


def test_losses_bad_input(rng):
    with pytest.raises(ValueError, match=r"y: expected \(N\) = \(3,\), got \(4,\)"):
        softmax_loss(normal(rng, 3, 5), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"y: expected labels in \[0, 5\), got values in \[0, 5\]"):
        softmax_loss(normal(rng, 3, 5), np.array([0, 5, 1]))
    with pytest.raises(ValueError, match=r"y: expected an integer dtype, got float64"):
        softmax_loss(normal(rng, 3, 5), np.zeros(3))
    x, y = normal(rng, 2, 3, 4), np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(ValueError, match=r"mask: expected \(N, T\) = \(2, 3\), got \(3, 2\)"):
        temporal_softmax_loss(x, y, np.ones((3, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"mask: expected dtype bool, got int64"):
        temporal_softmax_loss(x, y, np.ones((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(N, T, V\), got 2 dimensions \(2, 3\)"):
        temporal_softmax_loss(normal(rng, 2, 3), y, np.ones((2, 3), dtype=bool))


# -------------------------------------------------------------------------------- temporal affine
def test_temporal_affine_forward_linspace():
    x = np.linspace(-0.5, 0.6, 24).reshape(2, 3, 4)
    w = np.linspace(-0.3, 0.2, 8).reshape(4, 2)
    b = np.linspace(0.1, -0.2, 2)
    out, _ = temporal_affine_forward(x, w, b)
    expected = np.array([[[0.2809937888, -0.1413664596], [0.2154037267, -0.1522981366],
                          [0.1498136646, -0.1632298137]],
                         [[0.0842236025, -0.1741614907], [0.0186335404, -0.1850931677],
                          [-0.0469565217, -0.1960248447]]])
    assert rel_error(out, expected) < 1e-7


@pytest.mark.parametrize("N,T,D,M", [(2, 3, 4, 5), (1, 1, 3, 2), (2, 10, 3, 3)])
def test_temporal_affine_backward(rng, N, T, D, M):
    inputs = [normal(rng, N, T, D), normal(rng, D, M, scale=0.3), normal(rng, M, scale=0.3)]
    pair = numpy_pair(temporal_affine_forward, temporal_affine_backward)
    assert_twins(pair, finite_differences(temporal_affine_forward), inputs, tol=1e-7)
    assert_twins(pair, torch_autograd(lambda x, w, b: x @ w + b), inputs, tol=1e-10)


def test_temporal_affine_bad_input(rng):
    with pytest.raises(ValueError, match=r"w: expected \(D, M\) = \(4, 2\), got \(5, 2\)"):
        temporal_affine_forward(normal(rng, 2, 3, 4), normal(rng, 5, 2), normal(rng, 2))


# --------------------------------------------------------------------------------------- embedding
def test_word_embedding_forward_values():
    V, D = 5, 3
    x = np.array([[0, 3, 1, 2], [2, 1, 0, 3]])
    W = np.linspace(0, 1, num=V * D).reshape(V, D)
    out, _ = word_embedding_forward(x, W)
    expected = np.array([[[0.0, 0.07142857, 0.14285714], [0.64285714, 0.71428571, 0.78571429],
                          [0.21428571, 0.28571429, 0.35714286], [0.42857143, 0.5, 0.57142857]],
                         [[0.42857143, 0.5, 0.57142857], [0.21428571, 0.28571429, 0.35714286],
                          [0.0, 0.07142857, 0.14285714], [0.64285714, 0.71428571, 0.78571429]]])
    assert rel_error(out, expected) < 1e-7


@pytest.mark.parametrize("N,T", [(2, 6), (1, 1)])
def test_word_embedding_backward(rng, N, T):
    V, D = 4, 3
    x = rng.integers(0, V, size=(N, T))
    x.flat[0] = x.flat[-1] = 2  # a repeated id accumulates
    W = normal(rng, V, D)
    # numpy_pair returns the first len(wrt) gradients, so put dW first by reordering the arguments
    flip_fwd = lambda W, x: word_embedding_forward(x, W)  # noqa: E731
    flip_pair = numpy_pair(flip_fwd, lambda dout, cache: (word_embedding_backward(dout, cache),), wrt=[0])
    assert_twins(flip_pair, finite_differences(flip_fwd, wrt=[0]), [W, x], tol=1e-7)
    assert_twins(flip_pair, torch_autograd(lambda W, x: F.embedding(x, W), wrt=[0]), [W, x], tol=1e-10)


def test_word_embedding_bad_input(rng):
    W = normal(rng, 5, 3)
    with pytest.raises(ValueError, match=r"x: expected ids in \[0, V\) = \[0, 5\), got values in \[0, 5\]"):
        word_embedding_forward(np.array([[0, 5]]), W)
    with pytest.raises(ValueError, match=r"x: expected ids in \[0, V\) = \[0, 5\), got values in \[-1, 1\]"):
        word_embedding_forward(np.array([[-1, 1]]), W)
    with pytest.raises(ValueError, match=r"x: expected an integer dtype, got float64"):
        word_embedding_forward(np.zeros((2, 2)), W)
    with pytest.raises(ValueError, match=r"x: expected 2 dimensions \(N, T\), got 1 dimensions \(3,\)"):
        word_embedding_forward(np.array([0, 1, 2]), W)
