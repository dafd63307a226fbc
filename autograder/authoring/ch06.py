"""Chapter 06 notebook: the GRU step, forward and backward (PyTorch's variant)."""

from . import Exercise

TITLE = "Chapter 6 exercises: the gated recurrent unit"

INTRO = r"""
You will write one step of the gated recurrent unit, forward and backward, in NumPy, in the variant that
`torch.nn.GRU` computes (the reset gate multiplies $h_{t-1} W_{hn} + b_{hn}$, after the product).

Shapes: N batch, D input, H hidden. Gates are stacked $(r, z, n)$ along the last axis: $W_x$ (D, 3H),
$W_h$ (H, 3H), $b_x$ and $b_h$ (3H,); columns `[0:H]` are the reset gate, `[H:2H]` the update gate,
`[2H:3H]` the candidate.
"""

EXERCISES = [
    Exercise(
        check="ch06_gru_step_forward",
        text=r"""one GRU step

$$r = \sigma(x W_{xr} + b_{xr} + h_{t-1} W_{hr} + b_{hr}), \qquad z = \sigma(x W_{xz} + b_{xz} + h_{t-1} W_{hz} + b_{hz}),$$
$$n = \tanh\big(x W_{xn} + b_{xn} + r \odot (h_{t-1} W_{hn} + b_{hn})\big), \qquad h_t = (1 - z) \odot n + z \odot h_{t-1}.$$

Return `next_h` and the cache `(x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)` with `hn` $= h_{t-1} W_{hn} + b_{hn}$.""",
        code='''def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    """One GRU step, as torch.nn.GRU computes it.

    Parameters
    ----------
    x : array of shape (N, D); prev_h : array of shape (N, H);
    Wx : array of shape (D, 3H); Wh : array of shape (H, 3H); bx, bh : arrays of shape (3H,).
    Gates stacked (r, z, n).

    Returns
    -------
    next_h : array of shape (N, H).
    cache : tuple (x, prev_h, Wx, Wh, bx, bh, r, z, n, hn), r, z, n, hn each (N, H).
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    sig = lambda a: 0.5 * (1 + np.tanh(0.5 * a))
    ax = x @ Wx + bx  # (N, 3H)
    ah = prev_h @ Wh + bh  # (N, 3H)
    r = sig(ax[:, :H] + ah[:, :H])
    z = sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:]
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    next_h = (1 - z) * n + z * prev_h  # (N, H)
    cache = (x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)
    ### END SOLUTION
    return next_h, cache
''',
    ),
    Exercise(
        check="ch06_gru_step_backward",
        text=r"""one GRU step, backward

Go back through $h_t = (1-z) \odot n + z \odot h_{t-1}$ (two paths into $h_{t-1}$ already here), through
$n$ (whose pre-activation contains $r \odot$ `hn`, so `hn` receives $r$ times the gradient and $r$ receives
`hn` times it), through the gates, and through both affine maps $x W_x + b_x$ and $h_{t-1} W_h + b_h$
(three paths into $h_{t-1}$ in all). The cache is `(x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)`.""",
        code='''def gru_step_backward(dnext_h, cache):
    """Backward pass of one GRU step.

    Parameters
    ----------
    dnext_h : array of shape (N, H), gradient of the loss with respect to next_h.
    cache : tuple (x, prev_h, Wx, Wh, bx, bh, r, z, n, hn) from gru_step_forward.

    Returns
    -------
    dx : (N, D); dprev_h : (N, H); dWx : (D, 3H); dWh : (H, 3H); dbx : (3H,); dbh : (3H,).
    """
    ### BEGIN SOLUTION
    x, prev_h, Wx, Wh, bx, bh, r, z, n, hn = cache
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    dan = dn * (1 - n ** 2)  # (N, H), pre-activation of n
    dr = dan * hn
    dar = dr * r * (1 - r)
    daz = dz * z * (1 - z)
    dax = np.concatenate([dar, daz, dan], axis=1)  # (N, 3H), gradient of x Wx + bx
    dah = np.concatenate([dar, daz, dan * r], axis=1)  # (N, 3H), gradient of h Wh + bh
    dx = dax @ Wx.T
    dprev_h = dah @ Wh.T + dnext_h * z
    dWx, dWh = x.T @ dax, prev_h.T @ dah
    dbx, dbh = dax.sum(axis=0), dah.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, dbx, dbh
''',
    ),
]
