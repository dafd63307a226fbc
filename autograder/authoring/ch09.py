"""Chapter 09 notebook: scaled dot-product attention with masks, the masks, multi-head attention, layer norm."""

from . import Exercise

TITLE = "Chapter 9 exercises: scaled dot-product and multi-head attention, layer normalisation"

INTRO = r"""
You will write the attention of the transformer in NumPy: scaled dot-product attention with a boolean mask,
the padding and causal masks that batches of sequences need, multi-head attention, and the layer
normalisation of a transformer block, forward and backward.

Shapes: N batch, T query positions, S key positions, $d_k$ key size, $d_v$ value size, E model size, h heads.
Masks are boolean with **True = attend** (the convention of a boolean `attn_mask` in
`torch.nn.functional.scaled_dot_product_attention`); the tests always leave every query at least one key.
"""

EXERCISES = [
    Exercise(
        check="ch09_scaled_dot_product_attention",
        text=r"""scaled dot-product attention with a mask

$$P = \mathrm{softmax}_S\Big(\frac{q k^\top}{\sqrt{d_k}}\Big), \qquad \mathrm{out} = P v,$$

where masked-out entries (mask False) get weight exactly 0: set their scores to $-\infty$ (or drop them from
the softmax) before normalising. The mask is None or broadcastable to (N, T, S).

The softmax must be stable for sharp scores: two visible cases (and a hidden one) have scores of 800, 1000
and 5000, where `np.exp` overflows (past 709) and a plain `exp(s) / sum(exp(s))` gives inf/inf = NaN.
Subtract each row's maximum from the scores first; it does not change the weights.""",
        code='''def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention.

    Parameters
    ----------
    q : array of shape (N, T, d_k); k : array of shape (N, S, d_k); v : array of shape (N, S, d_v).
    mask : None or boolean array broadcastable to (N, T, S), True = attend.

    Returns
    -------
    out : array of shape (N, T, d_v).
    weights : array of shape (N, T, S), the attention weights (rows sum to 1, 0 where masked).
    """
    ### BEGIN SOLUTION
    d_k = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k)  # (N, T, S)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)  # exp(-inf) = 0 where masked
    weights = e / e.sum(axis=-1, keepdims=True)  # (N, T, S)
    out = weights @ v  # (N, T, d_v)
    ### END SOLUTION
    return out, weights
''',
    ),
    Exercise(
        check="ch09_attention_mask",
        text=r"""padding and causal masks

A batch of self-attention inputs of length T is right-padded: example n has `lengths[n]` real positions.
Query i of example n may attend to key j when $j < \mathrm{lengths}_n$ (padding) and, for a causal mask,
also $j \le i$. Return the boolean (N, T, T) mask.""",
        code='''def attention_mask(lengths, T, causal):
    """Boolean self-attention mask for a right-padded batch, True = attend.

    Parameters
    ----------
    lengths : int array of shape (N,), the number of real positions of each example (1 <= lengths <= T).
    T : int, the padded length.
    causal : bool, also forbid attending to later positions (j > i).

    Returns
    -------
    mask : bool array of shape (N, T, T), mask[n, i, j] is True when query i may attend to key j.
    """
    ### BEGIN SOLUTION
    j = np.arange(T)
    mask = np.broadcast_to(j[None, None, :] < np.asarray(lengths)[:, None, None], (len(lengths), T, T))
    if causal:
        mask = mask & (j[None, :] <= j[:, None])[None]  # key j <= query i
    mask = mask.copy()
    ### END SOLUTION
    return mask
''',
    ),
    Exercise(
        check="ch09_multi_head_attention",
        text=r"""multi-head attention

Project $Q = x_q W_q + b_q$, $K = x_k W_k + b_k$, $V = x_v W_v + b_v$ (all E wide); split the last axis into
h heads of size $d_k = E/h$ (head $i$ takes columns $[i d_k, (i+1) d_k)$), giving (N, h, T, $d_k$); run
scaled dot-product attention in every head with the same mask (N, T, S) for all heads; merge the heads back
into (N, T, E) in the same column order; and project: $\mathrm{out} = \mathrm{concat}\, W_o + b_o$.
You may call your `scaled_dot_product_attention` (then a mistake there costs points here too).""",
        code='''def multi_head_attention(query, key, value, Wq, Wk, Wv, bq, bk, bv, Wo, bo, num_heads, mask=None):
    """Multi-head attention.

    Parameters
    ----------
    query : (N, T, E); key : (N, S, E); value : (N, S, E).
    Wq, Wk, Wv, Wo : arrays of shape (E, E); bq, bk, bv, bo : arrays of shape (E,).
    num_heads : int h, dividing E.
    mask : None or boolean array of shape (N, T, S), True = attend, the same for every head.

    Returns
    -------
    out : array of shape (N, T, E).
    """
    ### BEGIN SOLUTION
    N, T, E = query.shape
    S = key.shape[1]
    h, d = num_heads, E // num_heads
    split = lambda X, L: X.reshape(N, L, h, d).transpose(0, 2, 1, 3)  # (N, L, E) -> (N, h, L, d)
    Q = split(query @ Wq + bq, T)
    K = split(key @ Wk + bk, S)
    V = split(value @ Wv + bv, S)
    scores = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d)  # (N, h, T, S)
    if mask is not None:
        scores = np.where(mask[:, None], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    P = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    heads = P @ V  # (N, h, T, d)
    concat = heads.transpose(0, 2, 1, 3).reshape(N, T, E)  # merge the heads
    out = concat @ Wo + bo  # (N, T, E)
    ### END SOLUTION
    return out
''',
    ),
    Exercise(
        check="ch09_layer_norm_forward",
        text=r"""layer normalisation, forward

Every position of every example (a row $x$ of E numbers, the last axis) is normalised by its own mean and
variance, then scaled and shifted per feature:

$$\mu = \frac{1}{E}\sum_i x_i, \qquad \sigma^2 = \frac{1}{E}\sum_i (x_i - \mu)^2, \qquad
\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y = \gamma \odot \hat x + \beta .$$

The variance is the biased one (divide by E, as `torch.nn.LayerNorm`), and $\varepsilon$ sits inside the
square root. x may have any number of leading axes. Return `(y, cache)` with the cache
`(xhat, rstd, gamma)`, where `rstd` $= 1/\sqrt{\sigma^2 + \varepsilon}$ keeps its last axis, shape (..., 1):
the backward exercise receives a cache in exactly this layout.""",
        code='''def layer_norm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalisation over the last axis.

    Parameters
    ----------
    x : array of shape (..., E), e.g. (N, T, E) or (N, E).
    gamma, beta : arrays of shape (E,), the scale and the shift.
    eps : float > 0, added to the variance.

    Returns
    -------
    y : array of the shape of x.
    cache : tuple (xhat, rstd, gamma): xhat of the shape of x, rstd of shape (..., 1).
    """
    ### BEGIN SOLUTION
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * rstd  # (..., E)
    y = gamma * xhat + beta
    cache = (xhat, rstd, gamma)
    ### END SOLUTION
    return y, cache
''',
    ),
    Exercise(
        check="ch09_layer_norm_backward",
        text=r"""layer normalisation, backward

From $\partial L/\partial y$ (the shape of x): $\partial L/\partial \beta$ and
$\partial L/\partial \gamma$ sum over every axis but the last; for x, with $g = \gamma \odot
\partial L/\partial y$ and $r = 1/\sqrt{\sigma^2 + \varepsilon}$, per row,

$$\frac{\partial L}{\partial x} = r \Big(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Big),$$

where the bar is the mean over the row's E entries: $\mu$ and $\sigma$ depend on every entry of the row,
and the two means are what that dependence contributes. The check builds the cache `(xhat, rstd, gamma)` of
the forward exercise itself; two of its cases compare with centred differences of the forward.""",
        code='''def layer_norm_backward(dout, cache):
    """Backward pass of layer normalisation over the last axis.

    Parameters
    ----------
    dout : array of shape (..., E), the gradient of the loss with respect to y.
    cache : tuple (xhat, rstd, gamma) from layer_norm_forward: xhat (..., E), rstd (..., 1), gamma (E,).

    Returns
    -------
    dx : array of shape (..., E); dgamma : array of shape (E,); dbeta : array of shape (E,).
    """
    ### BEGIN SOLUTION
    xhat, rstd, gamma = cache
    axes = tuple(range(dout.ndim - 1))  # every axis but the last
    dgamma = (dout * xhat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    g = dout * gamma
    dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    ### END SOLUTION
    return dx, dgamma, dbeta
''',
    ),
]
