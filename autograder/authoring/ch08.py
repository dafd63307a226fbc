"""Chapter 08 notebook: additive attention forward and backward; one decoder step with attention; beam search."""

from . import Exercise

TITLE = "Chapter 8 exercises: additive attention and beam search"

INTRO = r"""
You will write Bahdanau's additive attention, forward and backward, in NumPy, one step of a decoder
that attends over the encoder's states before it updates its own state, and beam search, the decoding
that keeps several partial outputs instead of one.

Shapes: N batch, S source length, $H_{dec}$ decoder state size, $H_{enc}$ encoder state size, A attention
size, E embedding size. With the decoder state $s$ (N, $H_{dec}$) and the encoder states $h_j$ = `keys[:, j]`:

$$e_j = v \cdot \tanh(s W_q + h_j W_k + b), \qquad \alpha = \mathrm{softmax}_j(e), \qquad c = \sum_j \alpha_j h_j.$$
"""

EXERCISES = [
    Exercise(
        check="ch08_additive_attention_forward",
        text=r"""additive attention, forward

Compute $u_j = \tanh(s W_q + h_j W_k + b)$ (N, S, A) for all $j$ at once (broadcast `query @ Wq` over the S
axis), the scores $e = u\,v$ (N, S), the weights $\alpha$ (a softmax over S), and the context $c$
(N, $H_{enc}$). Return `(context, alpha, cache)` with the cache `(query, keys, Wq, Wk, b, v, u, alpha)`.

The softmax must be stable for sharp scores: in two visible cases each row's largest score is 800 or more
(1000 and 800; a hidden case goes to 5000), where `np.exp` overflows (past 709) and a plain
`exp(e) / sum(exp(e))` gives NaN. Subtract each row's maximum from $e$ first; it does not change $\alpha$.""",
        code='''def additive_attention_forward(query, keys, Wq, Wk, b, v):
    """Additive (Bahdanau) attention for one decoder state.

    Parameters
    ----------
    query : array of shape (N, H_dec), the decoder state s.
    keys : array of shape (N, S, H_enc), the encoder states h_j (also the values).
    Wq : array of shape (H_dec, A); Wk : array of shape (H_enc, A); b : array of shape (A,); v : array of shape (A,).

    Returns
    -------
    context : array of shape (N, H_enc).
    alpha : array of shape (N, S), the attention weights (rows sum to 1).
    cache : tuple (query, keys, Wq, Wk, b, v, u, alpha), u of shape (N, S, A).
    """
    ### BEGIN SOLUTION
    u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, 1, A) + (N, S, A) -> (N, S, A)
    e = u @ v  # (N, S)
    e = e - e.max(axis=1, keepdims=True)
    alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)  # (N, S)
    context = (alpha[:, :, None] * keys).sum(axis=1)  # (N, H_enc)
    cache = (query, keys, Wq, Wk, b, v, u, alpha)
    ### END SOLUTION
    return context, alpha, cache
''',
    ),
    Exercise(
        check="ch08_additive_attention_backward",
        text=r"""additive attention, backward

From $\partial L/\partial c$ (N, $H_{enc}$): the keys get gradient twice, as values
($\alpha_j \,\partial L/\partial c$) and through the scores. $\partial L/\partial \alpha_j = h_j \cdot
\partial L/\partial c$; through the softmax, $\partial L/\partial e = \alpha \odot (\partial L/\partial
\alpha - \sum_j \alpha_j\, \partial L/\partial \alpha_j)$; then through $e = u\,v$, the tanh, and the two
affine maps (the query's map is shared by all S positions, so sum over S). The cache is
`(query, keys, Wq, Wk, b, v, u, alpha)`.""",
        code='''def additive_attention_backward(dcontext, cache):
    """Backward pass of additive attention.

    Parameters
    ----------
    dcontext : array of shape (N, H_enc), gradient of the loss with respect to the context.
    cache : tuple (query, keys, Wq, Wk, b, v, u, alpha) from additive_attention_forward.

    Returns
    -------
    dquery : (N, H_dec); dkeys : (N, S, H_enc); dWq : (H_dec, A); dWk : (H_enc, A); db : (A,); dv : (A,).
    """
    ### BEGIN SOLUTION
    query, keys, Wq, Wk, b, v, u, alpha = cache
    dalpha = np.einsum("nsh,nh->ns", keys, dcontext)  # (N, S)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))  # through the softmax
    dv = np.einsum("ns,nsa->a", de, u)  # (A,)
    dpre = de[:, :, None] * v * (1 - u ** 2)  # (N, S, A)
    dkeys = alpha[:, :, None] * dcontext[:, None, :] + dpre @ Wk.T  # (N, S, H_enc)
    dWk = np.einsum("nsh,nsa->ha", keys, dpre)
    dq_pre = dpre.sum(axis=1)  # (N, A): the query's projection is broadcast over S
    dquery = dq_pre @ Wq.T
    dWq = query.T @ dq_pre
    db = dq_pre.sum(axis=0)
    ### END SOLUTION
    return dquery, dkeys, dWq, dWk, db, dv
''',
    ),
    Exercise(
        check="ch08_attention_decoder_step",
        text=r"""one decoder step with attention

The decoder attends with its previous state, then updates its state from the previous output's
embedding $y_{t-1}$, the context, and its previous state:

$$c_t, \alpha_t = \mathrm{attention}(s_{t-1}, h), \qquad s_t = \tanh(y_{t-1} W_y + c_t W_c + s_{t-1} W_s + b_s).$$

Return $s_t$, $c_t$ and $\alpha_t$. You may call your `additive_attention_forward` (then a mistake there
costs points here too).""",
        code='''def attention_decoder_step(y_prev, s_prev, keys, Wq, Wk, b, v, Wy, Wc, Ws, bs):
    """One step of an RNN decoder with additive attention.

    Parameters
    ----------
    y_prev : array of shape (N, E), embedding of the previous output.
    s_prev : array of shape (N, H_dec), the previous decoder state.
    keys : array of shape (N, S, H_enc), the encoder states.
    Wq, Wk, b, v : the attention's parameters, shapes (H_dec, A), (H_enc, A), (A,), (A,).
    Wy : (E, H_dec); Wc : (H_enc, H_dec); Ws : (H_dec, H_dec); bs : (H_dec,), the state update's parameters.

    Returns
    -------
    s : array of shape (N, H_dec), the new decoder state.
    context : array of shape (N, H_enc).
    alpha : array of shape (N, S).
    """
    ### BEGIN SOLUTION
    u = np.tanh((s_prev @ Wq)[:, None, :] + keys @ Wk + b)  # (N, S, A)
    e = u @ v  # (N, S)
    e = e - e.max(axis=1, keepdims=True)
    alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)
    context = (alpha[:, :, None] * keys).sum(axis=1)  # (N, H_enc)
    s = np.tanh(y_prev @ Wy + context @ Wc + s_prev @ Ws + bs)  # (N, H_dec)
    ### END SOLUTION
    return s, context, alpha
''',
    ),
    Exercise(
        check="ch08_beam_search",
        text=r"""beam search

Decode a small RNN decoder, given as its weights (V tokens, H state size): from $h_0$ and the start token
`bos`, each step reads the previous token $y_{t-1}$ and gives the log-probabilities of the next one,

$$h_t = \tanh(E[y_{t-1}] + h_{t-1} W + b), \qquad \log p(y_t \mid y_{<t}) = \mathrm{log\_softmax}(h_t W_o + b_o).$$

A hypothesis is the list of tokens written so far (without `bos`); its score is the sum of their
log-probabilities. Beam search, exactly as `rnnbook.numpy.beam_search` (the chapter) does it:

1. start with one hypothesis, the empty one, with score 0 and state $h_0$;
2. at each step, extend every live hypothesis by every token: K live hypotheses give K·V candidates, each
   scored *its parent's score plus* the new token's log-probability; keep the `beam_width` best candidates
   (across all parents, not the best token of each);
3. a kept candidate whose last token is `eos` is finished and leaves the beam; the others are the next beam,
   each carrying the state $h_t$ its parent's step produced;
4. stop when no hypothesis is live, or after `max_len` steps; then the live ones are finished as they are,
   without `eos`.

Return the finished hypothesis with the highest `score / len(tokens) ** alpha` (`alpha` = 0: the plain
score; the length counts `eos`), as `(tokens, score)`: a list of ints and its plain summed log-probability.
One visible case and one hidden case use a beam so wide that nothing is pruned: there the answer is the best
output of all, which greedy decoding (always the most probable token) misses. Random weights make ties
improbable; break any by taking the earlier candidate (lower parent, then lower token id).""",
        code='''def beam_search(E, W, b, Wo, bo, h0, bos, eos, beam_width, max_len, alpha):
    """Beam search on the RNN decoder h_t = tanh(E[y] + h W + b), log p = log_softmax(h_t Wo + bo).

    Parameters
    ----------
    E : array of shape (V, H), the token embeddings (row y is E[y]).
    W : array of shape (H, H); b : array of shape (H,); Wo : array of shape (H, V); bo : array of shape (V,).
    h0 : array of shape (H,), the initial state.
    bos, eos : int, the start token (fed first, never output) and the end token.
    beam_width : int >= 1, the hypotheses kept per step; max_len : int >= 1, the most tokens written.
    alpha : float >= 0, the length penalty: rank finished hypotheses by score / len(tokens) ** alpha.

    Returns
    -------
    tokens : list of ints, the best hypothesis (without bos; ending with eos unless cut at max_len).
    score : float, its summed log-probability (not divided by the length).
    """
    ### BEGIN SOLUTION
    live = [([], 0.0, h0)]  # (tokens, score, state) of each live hypothesis
    finished = []  # (tokens, score)
    for _ in range(max_len):
        cands = []  # (score, tokens, state) of every extension, parent by parent, token by token
        for seq, score, h in live:
            h_new = np.tanh(E[seq[-1] if seq else bos] + h @ W + b)  # (H,)
            z = h_new @ Wo + bo  # (V,)
            z = z - z.max()
            logp = z - np.log(np.exp(z).sum())  # log_softmax, (V,)
            cands += [(score + logp[v], seq + [v], h_new) for v in range(len(logp))]
        cands.sort(key=lambda c: -c[0])  # sort is stable: ties keep the (parent, token) order
        live = []
        for score, seq, h in cands[:beam_width]:
            if seq[-1] == eos:
                finished.append((seq, score))
            else:
                live.append((seq, score, h))
        if not live:
            break
    finished += [(seq, score) for seq, score, _ in live]  # cut at max_len, without eos
    tokens, score = max(finished, key=lambda f: f[1] / len(f[0]) ** alpha)  # max: the first of equals
    ### END SOLUTION
    return tokens, score
''',
    ),
]
