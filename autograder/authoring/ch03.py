"""Chapter 03 notebook: backpropagation through time, full and truncated."""

from . import Exercise

TITLE = "Chapter 3 exercises: backpropagation through time"

INTRO = r"""
You will write the backward pass of the vanilla RNN of chapter 2: one step, the whole sequence
(backpropagation through time, BPTT), and truncated BPTT, which cuts the recurrent gradient every k steps.

Shapes: N batch, T time, D input, H hidden. Forward: $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$, with
$W_x$ (D, H), $W_h$ (H, H), $b$ (H,). Each backward pass returns the gradients in the order the forward took
its inputs.
"""

EXERCISES = [
    Exercise(
        check="ch03_rnn_step_backward",
        text=r"""one step, backward

With $a = x W_x + h_{t-1} W_h + b$ and $h_t = \tanh(a)$:
$\partial L/\partial a = \partial L/\partial h_t \odot (1 - h_t^2)$, then through the affine map as in
chapter 1. The cache is `(x, prev_h, Wx, Wh, next_h)`.""",
        code='''def rnn_step_backward(dnext_h, cache):
    """Backward pass of one tanh RNN step.

    Parameters
    ----------
    dnext_h : array of shape (N, H), gradient of the loss with respect to next_h.
    cache : tuple (x, prev_h, Wx, Wh, next_h) from rnn_step_forward.

    Returns
    -------
    dx : (N, D); dprev_h : (N, H); dWx : (D, H); dWh : (H, H); db : (H,).
    """
    ### BEGIN SOLUTION
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)  # (N, H), through tanh
    dx = da @ Wx.T  # (N, D)
    dprev_h = da @ Wh.T  # (N, H)
    dWx = x.T @ da  # (D, H)
    dWh = prev_h.T @ da  # (H, H)
    db = da.sum(axis=0)  # (H,)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db
''',
    ),
    Exercise(
        check="ch03_rnn_backward",
        text=r"""backpropagation through time

`dh[:, t]` is the gradient of the loss with respect to $h_t$ *from the outputs only*. The total gradient of
$h_t$ adds what flows back from step $t+1$:

$$\frac{\partial L}{\partial h_t} = \mathrm{dh}_t + \frac{\partial L}{\partial h_{t+1}}\,
\frac{\partial h_{t+1}}{\partial h_t}.$$

Go from $t = T$ down to 1, accumulating $dW_x$, $dW_h$, $db$ over time; what flows out of step 1 is
$\partial L/\partial h_0$. The cache is `(x, h0, Wx, Wh, h)`. You may call your `rnn_step_backward` (then a
mistake there costs points here too).""",
        code='''def rnn_backward(dh, cache):
    """Backpropagation through time for a whole sequence.

    Parameters
    ----------
    dh : array of shape (N, T, H), upstream gradients of every hidden state.
    cache : tuple (x, h0, Wx, Wh, h) from rnn_forward, x (N, T, D), h (N, T, H).

    Returns
    -------
    dx : (N, T, D); dh0 : (N, H); dWx : (D, H); dWh : (H, H); db : (H,).
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dprev = np.zeros_like(h0)  # (N, H), from step t + 1
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)  # (N, H)
        dx[:, t] = da @ Wx.T
        dprev = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db
''',
    ),
    Exercise(
        check="ch03_rnn_backward_truncated",
        text=r"""truncated BPTT

The forward pass runs over the whole sequence, but the backward pass treats it as chunks of k steps,
$[0, k), [k, 2k), \dots$ (the last one may be shorter): inside a chunk the gradient flows back through time
as in exercise 2; the gradient that would flow from the first step of a chunk into the previous chunk is
dropped. $\partial L/\partial h_0$ is what flows out of the first chunk. With $k \ge T$ this is full BPTT.""",
        code='''def rnn_backward_truncated(dh, cache, k):
    """Truncated backpropagation through time, with the recurrent gradient cut every k steps.

    Parameters
    ----------
    dh : array of shape (N, T, H), upstream gradients of every hidden state.
    cache : tuple (x, h0, Wx, Wh, h) from rnn_forward.
    k : int >= 1, the chunk length.

    Returns
    -------
    dx : (N, T, D); dh0 : (N, H); dWx : (D, H); dWh : (H, H); db : (H,).
    """
    ### BEGIN SOLUTION
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        if (t + 1) % k == 0:
            dprev = np.zeros_like(h0)  # the last step of a chunk gets nothing from the next chunk
        prev_h = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)  # (N, H)
        dx[:, t] = da @ Wx.T
        dprev = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db
''',
    ),
]
