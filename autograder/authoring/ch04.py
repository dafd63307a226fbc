"""Chapter 04 notebook: gradient norms across time, gradient clipping, the long-lag experiment."""

from . import Exercise

TITLE = "Chapter 4 exercises: vanishing and exploding gradients"

INTRO = r"""
You will measure how the gradient of a vanilla RNN shrinks or grows as it flows back through time, write
gradient clipping by the global norm, and run the long-lag experiment (an RNN must output, after T steps,
the first number it read) with and without clipping.

Shapes: N batch, T time, H hidden. Forward: $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$.
"""

EXERCISES = [
    Exercise(
        check="ch04_gradient_norms",
        text=r"""the gradient norm across time

Suppose the loss reads only the last state $h_T$, with $\partial L/\partial h_T$ = `dlast`. Going back one
step multiplies by the Jacobian of the step:

$$\frac{\partial L}{\partial h_{t-1}} = \Big(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\Big) W_h^\top.$$

Return the Frobenius norms $\lVert \partial L/\partial h_t \rVert$ (over the whole (N, H) array) for
$t = 1, \dots, T$: entry `t` of the result belongs to `h[:, t]`, so the last entry is the norm of `dlast`.""",
        code='''def gradient_norms(dlast, h, Wh):
    """Norms of the gradient of every hidden state when the loss depends only on the last one.

    Parameters
    ----------
    dlast : array of shape (N, H), dL/dh_T.
    h : array of shape (N, T, H), the hidden states h_1 ... h_T of a tanh RNN.
    Wh : array of shape (H, H), the recurrent weights.

    Returns
    -------
    norms : array of shape (T,), norms[t] = ||dL/dh[:, t]|| (Frobenius norm over N and H).
    """
    ### BEGIN SOLUTION
    T = h.shape[1]
    norms = np.zeros(T)
    g = dlast  # (N, H)
    for t in reversed(range(T)):
        norms[t] = np.linalg.norm(g)
        g = (g * (1 - h[:, t] ** 2)) @ Wh.T  # to h_{t-1}
    ### END SOLUTION
    return norms
''',
    ),
    Exercise(
        check="ch04_clip_grad_norm",
        text=r"""clipping by the global norm

With the global norm $\lVert g \rVert = \sqrt{\sum_i \lVert g_i \rVert^2}$ over all the arrays, scale every
array by

$$\mathrm{coef} = \min\Big(1, \frac{\mathrm{max\_norm}}{\lVert g \rVert + 10^{-6}}\Big)$$

(PyTorch's rule in `torch.nn.utils.clip_grad_norm_`). Return new arrays and the norm before clipping, and
**leave the inputs unchanged**: unlike PyTorch's in-place `clip_grad_norm_`, `g *= coef` on the caller's
arrays costs this exercise's points (the check compares `grads` before and after the call).""",
        code='''def clip_grad_norm(grads, max_norm):
    """Clip a list of gradient arrays by their global L2 norm.

    Parameters
    ----------
    grads : list of arrays of any shapes.
    max_norm : float > 0.

    Returns
    -------
    clipped : list of arrays, each grads[i] * min(1, max_norm / (total_norm + 1e-6)).
    total_norm : float, sqrt(sum_i ||grads[i]||^2) before clipping.
    """
    ### BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    coef = min(1.0, max_norm / (total_norm + 1e-6))
    clipped = [g * coef for g in grads]
    ### END SOLUTION
    return clipped, total_norm
''',
    ),
    Exercise(
        check="ch04_train_long_lag",
        text=r"""the long-lag experiment

`loss_and_grads(params) -> (loss, grads)` is given (the check passes one for an RNN that must output its
first input after T steps). Write plain gradient descent:
for each of `steps` steps, compute the loss and gradients at the current parameters, clip the gradients
by their global norm when `max_norm` is not None (as in exercise 2), then update every parameter
$p \leftarrow p - \mathrm{lr}\, g$. Return the losses (the loss *before* each update) and the final
parameters. Your loop may call your `clip_grad_norm` (then a mistake there costs points here too).""",
        code='''def train_long_lag(loss_and_grads, params, lr, steps, max_norm=None):
    """Gradient descent with optional clipping by the global norm.

    Parameters
    ----------
    loss_and_grads : callable, params -> (loss: float, grads: list of arrays shaped like params).
    params : list of arrays, the initial parameters (do not rely on them being copied for you).
    lr : float, the learning rate.
    steps : int, the number of updates.
    max_norm : float or None, clip the gradients to this global norm before each update (None: no clipping).

    Returns
    -------
    losses : array of shape (steps,), the loss before each update.
    params : list of arrays, the parameters after the last update.
    """
    ### BEGIN SOLUTION
    losses = np.zeros(steps)
    for s in range(steps):
        loss, grads = loss_and_grads(params)
        if max_norm is not None:
            norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
            coef = min(1.0, max_norm / (norm + 1e-6))
            grads = [g * coef for g in grads]
        params = [p - lr * g for p, g in zip(params, grads)]
        losses[s] = loss
    ### END SOLUTION
    return losses, params
''',
    ),
]
