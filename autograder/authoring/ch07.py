"""Chapter 07 notebook: a training loop for a character model on real text, within a budget."""

from . import Exercise

TITLE = "Chapter 7 exercises: training a character model on real text"

INTRO = r"""
You will write the training loop of a character-level RNN language model. The model and its backward pass
are given (chapters 2–4 built them): you decide how to feed the text to it and how to update the weights,
and the result must reach a stated loss within a stated budget.

The text is a slice of the Python standard library's own source code (`textwrap.py`), a few thousand
characters, coded as integers $0 \dots V-1$. Shapes: B batch, L sequence length, V vocabulary, H hidden.
"""

EXERCISES = [
    Exercise(
        check="ch07_train_char_model",
        text=r"""the training loop

`loss_and_grads(params, inputs, targets) -> (loss, grads)` takes int arrays `inputs` and `targets` of shape
(B, L) and returns the mean cross-entropy in nats per character (the RNN starts every row from $h_0 = 0$)
and the gradients of `params = [Wx (V, H), Wh (H, H), b (H,), Wy (H, V), by (V,)]`. The target of each
input character is the *next* character of the text.

Write `train_char_model` so that, with **at most `steps` = 250 calls** of `loss_and_grads` (a call beyond
that raises), each on **at most `batch_size` = 16 windows of at most `seq_len` = 24 characters** (a call
with more rows or longer windows raises, and the check scores 0 even if your loop catches it), the
returned parameters have a loss **at most 2.3 nats per character** on the whole text (evaluated in windows
of 24 characters). Untrained,
the model is at about 4.4 nats/char, $\ln V$. Use `seed` for any randomness. Any sensible choice works: for
example random windows, clipping by the global norm (chapter 4) and Adam ($\beta_1 = 0.9$,
$\beta_2 = 0.999$, learning rate $10^{-2}$); plain gradient descent needs a large learning rate (about 1).
The check takes a second or two.""",
        code='''def train_char_model(loss_and_grads, params, data, steps, seq_len, batch_size, seed):
    """Train a character model with a limited number of gradient evaluations.

    Parameters
    ----------
    loss_and_grads : callable (params, inputs, targets) -> (loss, grads); inputs, targets int (B, L).
    params : list of arrays [Wx (V, H), Wh (H, H), b (H,), Wy (H, V), by (V,)], the initial parameters.
    data : int array of shape (n,), the text as character indices.
    steps : int, the most calls of loss_and_grads allowed.
    seq_len : int, the window length L.
    batch_size : int, the number of windows B per call.
    seed : int, for np.random.default_rng.

    Returns
    -------
    params : list of arrays shaped like the input params, the trained parameters.
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    lr, max_norm, b1, b2, eps = 1e-2, 5.0, 0.9, 0.999, 1e-8
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
        rows = data[starts[:, None] + np.arange(seq_len + 1)[None]]  # (B, L + 1)
        loss, grads = loss_and_grads(params, rows[:, :-1], rows[:, 1:])  # targets: the next characters
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        grads = [g * min(1.0, max_norm / (norm + 1e-6)) for g in grads]
        for k, g in enumerate(grads):  # Adam
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            m_hat, v_hat = m[k] / (1 - b1 ** step), v[k] / (1 - b2 ** step)
            params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    ### END SOLUTION
    return params
''',
    ),
]
