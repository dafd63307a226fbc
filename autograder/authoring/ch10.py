"""Chapter 10 notebook: a linear recurrence, by a loop and by a parallel (associative) scan; minGRU in both forms."""

from . import Exercise

TITLE = "Chapter 10 exercises: linear recurrences and the parallel scan"

INTRO = r"""
A linear recurrence $h_t = a_t \odot h_{t-1} + b_t$ (elementwise; the core of linear RNNs and state-space
models) can be computed in $\lceil \log_2 T \rceil$ vectorised steps instead of T, because the maps
$h \mapsto a h + b$ compose associatively. You will write the composition, the sequential loop, and the
parallel (Hillis–Steele) scan, which must give the loop's result; then minGRU (Feng et al. 2024, "Were RNNs
all we needed?"), a GRU whose gate sees only the input, once as a loop and once as one scan.

Shapes: N batch, T time, D input, H hidden; $a$, $b$ (N, T, H), $h_0$ (N, H), $x$ (N, T, D).
"""

EXERCISES = [
    Exercise(
        check="ch10_combine",
        text=r"""composing two steps

The pair $(a, b)$ stands for the map $h \mapsto a h + b$. Applying $(a_1, b_1)$ first and $(a_2, b_2)$ second
gives $h \mapsto a_2(a_1 h + b_1) + b_2$, again such a pair:

$$(a_1, b_1) \bullet (a_2, b_2) = (a_1 a_2,\; a_2 b_1 + b_2).$$

This operator is associative (not commutative), which is what makes a parallel scan possible.""",
        code='''def combine(a1, b1, a2, b2):
    """Compose h -> a1 h + b1 (first) with h -> a2 h + b2 (second), elementwise.

    Parameters
    ----------
    a1, b1, a2, b2 : arrays of the same shape.

    Returns
    -------
    a, b : arrays of that shape, with a h + b = a2 (a1 h + b1) + b2.
    """
    ### BEGIN SOLUTION
    a = a1 * a2
    b = a2 * b1 + b2
    ### END SOLUTION
    return a, b
''',
    ),
    Exercise(
        check="ch10_linear_recurrence_sequential",
        text=r"""the sequential loop

$$h_t = a_t \odot h_{t-1} + b_t, \qquad t = 1, \dots, T,$$

starting from $h_0$; return $h_1, \dots, h_T$ as (N, T, H).""",
        code='''def linear_recurrence_sequential(a, b, h0):
    """h_t = a_t * h_{t-1} + b_t by a loop over time.

    Parameters
    ----------
    a, b : arrays of shape (N, T, H).
    h0 : array of shape (N, H).

    Returns
    -------
    h : array of shape (N, T, H), h[:, t] = h_{t+1}.
    """
    ### BEGIN SOLUTION
    h = np.zeros_like(b)
    prev = h0
    for t in range(a.shape[1]):
        prev = a[:, t] * prev + b[:, t]
        h[:, t] = prev
    ### END SOLUTION
    return h
''',
    ),
    Exercise(
        check="ch10_linear_recurrence_scan",
        text=r"""the parallel scan

First fold $h_0$ into the first step: $b_1 \leftarrow b_1 + a_1 h_0$; then $h_t$ is the $b$ of the prefix
composition $(a_1, b_1) \bullet \dots \bullet (a_t, b_t)$. Hillis–Steele computes all prefixes at once: for
offsets $d = 1, 2, 4, \dots < T$, replace every element $t \ge d$ by element $t - d$ combined with element
$t$ (earlier map first), all $t$ in one vectorised operation, using the values from before this round.

The function receives the composition as its argument `combine` (the check passes an exact one that counts
its calls; in this notebook you may pass your exercise-1 `combine`). Compose with it, one call per round on
all time steps at once: **no loop over time**. The check enforces this by counting: at most
$2\lceil\log_2 T\rceil + 1$ calls of `combine` (one per round is what Hillis–Steele needs; the margin lets
a work-efficient scan sweep up and down, and fold $h_0$ in with one more call), at least one when $T > 1$.
A loop over time makes $T - 1$ calls and fails every case with $T \ge 11$; calling exercise 2's loop makes
none and fails every case with $T > 1$. The result must equal exercise 2's up to rounding.""",
        code='''def linear_recurrence_scan(a, b, h0, combine):
    """h_t = a_t * h_{t-1} + b_t by a Hillis-Steele parallel scan (ceil(log2 T) vectorised rounds).

    Parameters
    ----------
    a, b : arrays of shape (N, T, H).
    h0 : array of shape (N, H).
    combine : callable (a1, b1, a2, b2) -> (a, b), the composition of exercise 1 (first (a1, b1), then
        (a2, b2)), elementwise on arrays of any shape; call it once per round, on all time steps at once.

    Returns
    -------
    h : array of shape (N, T, H), equal to the sequential loop's result up to rounding.
    """
    ### BEGIN SOLUTION
    A = a.copy()
    B = b.copy()
    B[:, 0] = B[:, 0] + A[:, 0] * h0  # fold h0 into the first step
    T = a.shape[1]
    d = 1
    while d < T:
        A_new, B_new = A.copy(), B.copy()
        # earlier map first: (A[t-d], B[t-d]) then (A[t], B[t]), for every t >= d in one call
        A_new[:, d:], B_new[:, d:] = combine(A[:, :-d], B[:, :-d], A[:, d:], B[:, d:])
        A, B = A_new, B_new
        d *= 2
    h = B
    ### END SOLUTION
    return h
''',
    ),
    Exercise(
        check="ch10_min_gru",
        text=r"""minGRU, sequential and parallel

minGRU (Feng et al. 2024) removes $h_{t-1}$ from the GRU's gate and candidate:

$$z_t = \sigma(x_t W_z + b_z), \qquad \tilde h_t = x_t W_h + b_h, \qquad
h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t,$$

so it is the linear recurrence of exercises 2 and 3 with $a_t = 1 - z_t$ and $b_t = z_t \odot \tilde h_t$
(here $z_t$ close to 1 *replaces* the state). Write it twice:

- `min_gru_sequential`: a loop over time that computes $z_t$, $\tilde h_t$ and $h_t$ step by step, the way a
  GRU runs (the gate of step $t$ reads $x_t$ only, never $h_{t-1}$);
- `min_gru_parallel`: the gates and candidates of **all** steps at once, as (N, T, H) arrays with no loop
  over time, then **one** call `scan(a, b, h0)`, whose result you return as it is. The check passes an
  exact scan and counts: one call with a, b of shape (N, T, H). In this notebook you may pass
  `lambda a, b, h0: linear_recurrence_scan(a, b, h0, combine)` (exercise 3's).

Both must return the same h, (N, T, H), up to rounding; the check compares both with the reference. Some
hidden cases have pre-activations of size 40: a sigmoid written as `1 / (1 + np.exp(-v))` is fine there.""",
        code='''def min_gru_sequential(x, h0, Wz, bz, Wh, bh):
    """minGRU by a loop over time: z_t = sigmoid(x_t Wz + bz), h~_t = x_t Wh + bh, h_t = (1 - z_t) h_{t-1} + z_t h~_t.

    Parameters
    ----------
    x : array of shape (N, T, D).
    h0 : array of shape (N, H).
    Wz, Wh : arrays of shape (D, H).
    bz, bh : arrays of shape (H,).

    Returns
    -------
    h : array of shape (N, T, H), h[:, t] = h_{t+1}.
    """
    ### BEGIN SOLUTION
    sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        z = sig(x[:, t] @ Wz + bz)  # (N, H): the gate reads x_t only
        h_tilde = x[:, t] @ Wh + bh  # (N, H)
        prev = (1 - z) * prev + z * h_tilde
        h[:, t] = prev
    ### END SOLUTION
    return h


def min_gru_parallel(x, h0, Wz, bz, Wh, bh, scan):
    """The same h with the gates of every step at once and one call of scan.

    Parameters
    ----------
    x, h0, Wz, bz, Wh, bh : as for min_gru_sequential.
    scan : callable (a, b, h0) -> h, the linear recurrence h_t = a_t h_{t-1} + b_t over (N, T, H) arrays;
        call it once, and return its result.

    Returns
    -------
    h : array of shape (N, T, H), what scan returned.
    """
    ### BEGIN SOLUTION
    sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
    z = sig(x @ Wz + bz)  # (N, T, D) x (D, H) -> (N, T, H): every step's gate at once
    a = 1 - z
    b = z * (x @ Wh + bh)  # (N, T, H)
    h = scan(a, b, h0)
    ### END SOLUTION
    return h
''',
    ),
]
