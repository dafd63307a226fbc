"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t, by a loop and by a parallel scan; minGRU on top.

Shape letters: N batch, T time, D input size, H hidden size.

Gated linear recurrences (minGRU and minLSTM, Feng et al. 2024 "Were RNNs all we needed?"; the
diagonal state-space models S4D/Mamba) have no nonlinearity between steps, so that

    h_t = a_t ⊙ h_{t-1} + b_t,    a_t, b_t depending on the input x_t only,

is a composition of affine maps h ↦ a h + b. Affine maps compose associatively,

    (a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2)     "first apply (a1, b1), then (a2, b2)",

so all prefixes can be computed with a scan in O(log T) vectorised steps (Hillis–Steele:
at step k every position t ≥ 2^k combines with position t - 2^k) instead of T sequential ones.
h0 enters as b_0 ← a_0 h0 + b_0.

The backward is itself a linear recurrence, run backwards in time: with g_t = dL/dh_t in total,

    g_t = a_{t+1} ⊙ g_{t+1} + dh_t  (g_{T-1} = dh_{T-1}),   db_t = g_t,   da_t = g_t ⊙ h_{t-1},   dh0 = a_0 ⊙ g_0.

minGRU: z_t = σ(x_t Wz + bz), h̃_t = x_t Wh + bh, h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t,
i.e. a_t = 1 - z_t and b_t = z_t ⊙ h̃_t.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = [
    "linear_recurrence_sequential",
    "linear_recurrence_scan",
    "linear_recurrence_backward",
    "min_gru_forward",
    "min_gru_backward",
]


def _check(a, b, h0):
    dims: dict[str, int] = {}
    check_shape("a", a, "N, T, H", dims)
    check_shape("b", b, "N, T, H", dims)
    if h0 is not None:
        check_shape("h0", h0, "N, H", dims)
    return dims


def linear_recurrence_sequential(a, b, h0=None) -> np.ndarray:
    """h_t = a_t ⊙ h_{t-1} + b_t by a loop over time. a, b: (N, T, H); h0: (N, H) or None (zeros).

    Returns h (N, T, H).
    """
    _check(a, b, h0)
    h = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b))
    prev = np.zeros_like(h[:, 0]) if h0 is None else h0
    for t in range(a.shape[1]):
        prev = a[:, t] * prev + b[:, t]  # (N, H)
        h[:, t] = prev
    return h


def linear_recurrence_scan(a, b, h0=None) -> np.ndarray:
    """h_t = a_t ⊙ h_{t-1} + b_t by a Hillis–Steele parallel scan (ceil(log2 T) vectorised steps).

    a, b: (N, T, H); h0: (N, H) or None (zeros). Returns h (N, T, H), equal to
    :func:`linear_recurrence_sequential` up to rounding.
    """
    _check(a, b, h0)
    A = np.array(a, dtype=np.result_type(a, b), copy=True)  # (N, T, H): running products of a
    B = np.array(b, dtype=A.dtype, copy=True)  # (N, T, H): running offsets; ends as h
    if h0 is not None:
        B[:, 0] += a[:, 0] * h0
    T, k = A.shape[1], 1
    while k < T:
        # position t takes (A, B)[t-k] ∘ (A, B)[t]; the right-hand sides use the old values
        B[:, k:] = A[:, k:] * B[:, :-k] + B[:, k:]
        A[:, k:] = A[:, :-k] * A[:, k:]
        k *= 2
    return B


def linear_recurrence_backward(dh, a, h, h0=None):
    """Gradients of h = linear_recurrence_*(a, b, h0) given dh = dL/dh (N, T, H) and the forward's a, h.

    Returns da (N, T, H), db (N, T, H), dh0 (N, H) (the gradient of a zero start when h0 is None).
    """
    dims: dict[str, int] = {}
    check_shape("dh", dh, "N, T, H", dims)
    check_shape("a", a, "N, T, H", dims)
    check_shape("h", h, "N, T, H", dims)
    if h0 is not None:
        check_shape("h0", h0, "N, H", dims)
    a_next = np.zeros_like(a)
    a_next[:, :-1] = a[:, 1:]  # a_{t+1}, 0 after the end
    g = linear_recurrence_scan(a_next[:, ::-1], dh[:, ::-1])[:, ::-1]  # (N, T, H), reversed recurrence
    h_prev = np.empty_like(h)
    h_prev[:, 1:] = h[:, :-1]
    h_prev[:, 0] = 0.0 if h0 is None else h0
    return g * h_prev, g.copy(), a[:, 0] * g[:, 0]


def _sigmoid(x):
    """Stable logistic function: never exponentiates a positive number."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def min_gru_forward(x, h0, Wz, bz, Wh, bh):
    """minGRU over a sequence, computed with the parallel scan.

    x: (N, T, D); h0: (N, H); Wz, Wh: (D, H); bz, bh: (H,).
    Returns h (N, T, H) and the cache for :func:`min_gru_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    check_shape("Wz", Wz, "D, H", dims)
    check_shape("bz", bz, "H", dims)
    check_shape("Wh", Wh, "D, H", dims)
    check_shape("bh", bh, "H", dims)
    z = _sigmoid(x @ Wz + bz)  # (N, T, D) x (D, H) -> (N, T, H)
    h_tilde = x @ Wh + bh  # (N, T, H)
    a = 1.0 - z
    h = linear_recurrence_scan(a, z * h_tilde, h0)  # (N, T, H)
    return h, (x, h0, Wz, Wh, z, h_tilde, a, h)


def min_gru_backward(dh, cache):
    """dh: (N, T, H). Returns dx (N, T, D), dh0 (N, H), dWz (D, H), dbz (H,), dWh (D, H), dbh (H,)."""
    x, h0, Wz, Wh, z, h_tilde, a, h = cache
    N, T, D = x.shape
    check_shape("dh", dh, "N, T, H", {"N": N, "T": T, "H": h.shape[2]})
    da, db, dh0 = linear_recurrence_backward(dh, a, h, h0)
    dz = -da + db * h_tilde  # (N, T, H): a = 1 - z, b = z h̃
    dh_tilde = db * z  # (N, T, H)
    dpre_z = dz * z * (1.0 - z)  # (N, T, H): through σ
    x2 = x.reshape(N * T, D)
    dx = dpre_z @ Wz.T + dh_tilde @ Wh.T  # (N, T, D)
    dWz = x2.T @ dpre_z.reshape(N * T, -1)  # (D, H)
    dWh = x2.T @ dh_tilde.reshape(N * T, -1)  # (D, H)
    return dx, dh0, dWz, dpre_z.sum(axis=(0, 1)), dWh, dh_tilde.sum(axis=(0, 1))
