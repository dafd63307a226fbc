"""Chapter 02 notebook: the vanilla RNN forward and sampling from a character model at a temperature."""

from . import Exercise

TITLE = "Chapter 2 exercises: a recurrent network, forward, and sampling at a temperature"

INTRO = r"""
You will build, in NumPy, the forward pass of a vanilla (Elman) RNN, one step and then a whole sequence,
and the sampling loop of a character-level language model at a temperature $\tau$.

Shapes: N batch, T time steps, D input size, H hidden size, V vocabulary size. Rows are examples (batch
first), so the book's $h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)$ is written here
$h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$ with $W_x = W_{xh}^\top$ of shape (D, H) and $W_h = W_{hh}^\top$ of
shape (H, H).
"""

EXERCISES = [
    Exercise(
        check="ch02_rnn_step_forward",
        text=r"""one step of the RNN

$$h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$$

Return the new hidden state and a cache (any tuple; chapter 3 uses `(x, prev_h, Wx, Wh, next_h)`).""",
        code='''def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla RNN with a tanh nonlinearity.

    Parameters
    ----------
    x : array of shape (N, D), the inputs at this step.
    prev_h : array of shape (N, H), the hidden state of the previous step.
    Wx : array of shape (D, H), input-to-hidden weights.
    Wh : array of shape (H, H), hidden-to-hidden weights.
    b : array of shape (H,), the bias.

    Returns
    -------
    next_h : array of shape (N, H), tanh(x Wx + prev_h Wh + b).
    cache : tuple (x, prev_h, Wx, Wh, next_h), what the backward pass needs.
    """
    ### BEGIN SOLUTION
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
    cache = (x, prev_h, Wx, Wh, next_h)
    ### END SOLUTION
    return next_h, cache
''',
    ),
    Exercise(
        check="ch02_rnn_forward",
        text=r"""the RNN over a whole sequence

Starting from $h_0$, apply the step for $t = 1, \dots, T$ and keep every hidden state:

$$h_t = \tanh(x_t W_x + h_{t-1} W_h + b), \qquad h = (h_1, \dots, h_T).$$

`h[:, t]` is the state after reading `x[:, t]`; $h_0$ itself is not part of the output. You may call your
`rnn_step_forward` (then a mistake there costs points here too); the solution below does not, and computes
the input projections of all T steps with one matrix product.""",
        code='''def rnn_forward(x, h0, Wx, Wh, b):
    """Run a vanilla RNN over a sequence of T inputs.

    Parameters
    ----------
    x : array of shape (N, T, D), the input sequence.
    h0 : array of shape (N, H), the initial hidden state.
    Wx : array of shape (D, H), input-to-hidden weights.
    Wh : array of shape (H, H), hidden-to-hidden weights.
    b : array of shape (H,), the bias.

    Returns
    -------
    h : array of shape (N, T, H), the hidden states h_1 ... h_T.
    cache : tuple (x, h0, Wx, Wh, h), what the backward pass needs.
    """
    ### BEGIN SOLUTION
    N, T, D = x.shape
    H = h0.shape[1]
    xw = (x.reshape(N * T, D) @ Wx + b).reshape(N, T, H)  # every step's input projection at once
    h = np.zeros((N, T, H))  # (N, T, H)
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(xw[:, t] + prev_h @ Wh)  # (N, H)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    ### END SOLUTION
    return h, cache
''',
    ),
    Exercise(
        check="ch02_softmax_temperature",
        text=r"""softmax at a temperature

A character model turns the scores $s$ of the next character into probabilities

$$p_k = \frac{\exp(s_k / \tau)}{\sum_j \exp(s_j / \tau)}.$$

$\tau < 1$ sharpens the distribution, $\tau > 1$ flattens it. Your function must stay finite for scores
as large as $10^3/\tau$: subtract the row's maximum before `np.exp` (it does not change $p$).""",
        code='''def softmax_temperature(scores, temperature):
    """Row-wise softmax of scores divided by a temperature.

    Parameters
    ----------
    scores : array of shape (N, V), unnormalised scores of the V characters.
    temperature : float > 0, the temperature tau.

    Returns
    -------
    p : array of shape (N, V), p[n] = softmax(scores[n] / tau); each row sums to 1.
    """
    ### BEGIN SOLUTION
    z = scores / temperature  # (N, V)
    z = z - z.max(axis=1, keepdims=True)  # stable: exp of values <= 0
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)  # (N, V)
    ### END SOLUTION
    return p
''',
    ),
    Exercise(
        check="ch02_sample_chars",
        text=r"""sampling from a character model

A character RNN reads the one-hot code of the previous character $c_{t-1}$ and scores the next one:

$$h_t = \tanh(\mathrm{onehot}(c_{t-1}) W_x + h_{t-1} W_h + b), \qquad
p_t = \mathrm{softmax}\big((h_t W_y + b_y)/\tau\big).$$

(`onehot(c) @ Wx` is just the row `Wx[c]`.) To make sampling reproducible, the random numbers are given:
$u_{n,t}$ uniform in $[0, 1)$. Draw $c_t$ by the inverse CDF: the first index $k$ with
$p_{t,0} + \dots + p_{t,k} > u_t$ (the last index, V − 1, if rounding leaves none). Start from $h_0$ and the
character $c_0$; return $c_1, \dots, c_T$. You may call your `softmax_temperature`.""",
        code='''def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    """Sample T characters from a character-level RNN at a temperature.

    Parameters
    ----------
    h0 : array of shape (N, H), the initial hidden state.
    c0 : int array of shape (N,), the index of the first (given) character.
    Wx : array of shape (V, H), input-to-hidden weights (one-hot inputs, so D = V).
    Wh : array of shape (H, H), hidden-to-hidden weights.
    b : array of shape (H,), hidden bias.
    Wy : array of shape (H, V), hidden-to-scores weights.
    by : array of shape (V,), score bias.
    temperature : float > 0.
    u : array of shape (N, T), uniform random numbers in [0, 1), one per sampled character.

    Returns
    -------
    chars : int array of shape (N, T), chars[:, t] = c_{t+1}, drawn by inverse CDF with u[:, t].
    """
    ### BEGIN SOLUTION
    N, T = u.shape
    V = Wx.shape[0]
    chars = np.zeros((N, T), dtype=int)
    h, c = h0, c0
    for t in range(T):
        h = np.tanh(Wx[c] + h @ Wh + b)  # (N, H)
        p = softmax_temperature(h @ Wy + by, temperature)  # (N, V)
        cdf = np.cumsum(p, axis=1)  # (N, V)
        c = np.minimum((cdf <= u[:, t:t + 1]).sum(axis=1), V - 1)  # first k with cdf[k] > u
        chars[:, t] = c
    ### END SOLUTION
    return chars
''',
    ),
]
