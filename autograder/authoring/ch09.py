"""Chapter 09 notebook: scaled dot-product attention with masks, the masks, multi-head attention."""

from . import Exercise

TITLE = "Chapter 9 exercises: scaled dot-product and multi-head attention"

INTRO = r"""
You will write the attention of the transformer in NumPy: scaled dot-product attention with a boolean mask,
the padding and causal masks that batches of sequences need, and multi-head attention.

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
the softmax) before normalising. The mask is None or broadcastable to (N, T, S). Stay finite for sharp
scores.""",
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
]
