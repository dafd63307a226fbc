"""Chapter 01 notebook: affine, tanh and softmax cross-entropy, forward and backward; a gradient check."""

from . import Exercise

TITLE = "Chapter 1 exercises: the building blocks of a feedforward network"

INTRO = r"""
You will build, in NumPy, the layers every later chapter stacks: the affine map, the tanh nonlinearity,
the softmax cross-entropy loss, each forward and backward, and the tool that keeps backward passes honest,
a numerical gradient, which you will run on a two-layer network.

Shapes: N batch, D input size, M output size, C classes. Every layer is a pair
`forward(...) -> (out, cache)` and `backward(dout, cache)` returning the gradients in the order the forward
took its inputs.
"""

EXERCISES = [
    Exercise(
        check="ch01_affine_forward",
        text=r"""the affine layer, forward

$$\mathrm{out} = x W + b.$$""",
        code='''def affine_forward(x, w, b):
    """Affine (fully connected) layer.

    Parameters
    ----------
    x : array of shape (N, D); w : array of shape (D, M); b : array of shape (M,).

    Returns
    -------
    out : array of shape (N, M), x w + b.
    cache : tuple (x, w, b).
    """
    ### BEGIN SOLUTION
    out = x @ w + b  # (N, D) x (D, M) -> (N, M)
    cache = (x, w, b)
    ### END SOLUTION
    return out, cache
''',
    ),
    Exercise(
        check="ch01_affine_backward",
        text=r"""the affine layer, backward

With $G = \partial L / \partial \mathrm{out}$ (N, M):
$\partial L/\partial x = G W^\top$, $\partial L/\partial W = x^\top G$, $\partial L/\partial b = \sum_n G_n$.""",
        code='''def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Parameters
    ----------
    dout : array of shape (N, M), upstream gradient.
    cache : tuple (x, w, b) as returned by affine_forward.

    Returns
    -------
    dx : (N, D); dw : (D, M); db : (M,).
    """
    ### BEGIN SOLUTION
    x, w, b = cache
    dx = dout @ w.T  # (N, M) x (M, D) -> (N, D)
    dw = x.T @ dout  # (D, N) x (N, M) -> (D, M)
    db = dout.sum(axis=0)  # (M,)
    ### END SOLUTION
    return dx, dw, db
''',
    ),
    Exercise(
        check="ch01_tanh_forward",
        text=r"""tanh, forward

$\mathrm{out} = \tanh(x)$ elementwise, for an array of any shape. The cache is `out` itself.""",
        code='''def tanh_forward(x):
    """Elementwise tanh.

    Parameters
    ----------
    x : array of any shape.

    Returns
    -------
    out : array of the shape of x, tanh(x).
    cache : out (the backward pass needs only tanh(x)).
    """
    ### BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    ### END SOLUTION
    return out, cache
''',
    ),
    Exercise(
        check="ch01_tanh_backward",
        text=r"""tanh, backward

$\dfrac{\partial L}{\partial x} = \dfrac{\partial L}{\partial \mathrm{out}} \odot (1 - \tanh^2(x))$, computed from
the cache `out` = $\tanh(x)$.""",
        code='''def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Parameters
    ----------
    dout : array, upstream gradient, the shape of x.
    cache : out = tanh(x), from tanh_forward.

    Returns
    -------
    dx : array of the shape of x.
    """
    ### BEGIN SOLUTION
    out = cache
    dx = dout * (1 - out ** 2)
    ### END SOLUTION
    return dx
''',
    ),
    Exercise(
        check="ch01_softmax_loss",
        text=r"""softmax cross-entropy

$$L = -\frac{1}{N} \sum_n \log \mathrm{softmax}(x_n)_{y_n}, \qquad
\frac{\partial L}{\partial x_n} = \frac{1}{N}\big(\mathrm{softmax}(x_n) - \mathrm{onehot}(y_n)\big).$$

It must stay finite for scores in the hundreds: shift each row by its maximum first.""",
        code='''def softmax_loss(x, y):
    """Mean softmax cross-entropy loss and its gradient.

    Parameters
    ----------
    x : array of shape (N, C), class scores.
    y : int array of shape (N,), labels in [0, C).

    Returns
    -------
    loss : float, the mean cross-entropy.
    dx : array of shape (N, C), the gradient of loss with respect to x.
    """
    ### BEGIN SOLUTION
    N = x.shape[0]
    z = x - x.max(axis=1, keepdims=True)  # (N, C)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log softmax
    loss = -logp[np.arange(N), y].mean()
    dx = np.exp(logp)
    dx[np.arange(N), y] -= 1
    dx /= N
    ### END SOLUTION
    return loss, dx
''',
    ),
    Exercise(
        check="ch01_numerical_gradient",
        text=r"""a gradient check on a two-layer network

The check of every backward pass in this course is the centred difference

$$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}.$$

Write `numerical_gradient(f, x, h)`, where `f()` takes no argument and reads `x`: perturb each entry of `x`
*in place*, call `f`, and restore the entry. The test runs it on the loss of a two-layer network
affine → tanh → affine → softmax cross-entropy, with respect to one of its weights.

Use the step `h` you are given: some cases pass a large one ($h$ = 0.1 to 0.3), where the centred
difference differs from the true gradient by far more than the tolerance, and the check compares with the
centred difference *at that h*. Restoring means getting the old value back to within rounding: writing
the saved value back is exact, and adding $h$ back after subtracting it (off by an ulp or so) is accepted
too (the check allows a relative difference of $10^{-12}$).""",
        code='''def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of a scalar function with respect to an array.

    Parameters
    ----------
    f : callable taking no argument, returning a float that depends on x.
    x : float array of any shape; perturbed in place and restored.
    h : float, the step.

    Returns
    -------
    grad : array of the shape of x, grad[i] = (f() at x_i + h - f() at x_i - h) / (2h).
    """
    ### BEGIN SOLUTION
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old  # restore
        grad[i] = (fp - fm) / (2 * h)
    ### END SOLUTION
    return grad
''',
    ),
]
