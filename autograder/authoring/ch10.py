"""Chapter 10 notebook: a linear recurrence, by a loop and by a parallel (associative) scan."""

from . import Exercise

TITLE = "Chapter 10 exercises: linear recurrences and the parallel scan"

INTRO = r"""
A linear recurrence $h_t = a_t \odot h_{t-1} + b_t$ (elementwise; the core of linear RNNs and state-space
models) can be computed in $\lceil \log_2 T \rceil$ vectorised steps instead of T, because the maps
$h \mapsto a h + b$ compose associatively. You will write the composition, the sequential loop, and the
parallel (Hillis–Steele) scan, which must give the loop's result.

Shapes: N batch, T time, H hidden; $a$, $b$ (N, T, H), $h_0$ (N, H).
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
]
