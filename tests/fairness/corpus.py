"""A corpus of submissions written as students write them, made from the instructor's solutions notebooks.

Each :class:`Submission` is the chapter's ``solutions/<assignment>/exercises.ipynb`` with edits:

- ``Body(fn, code)``: the solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of the cell that
  defines ``fn`` replaced by ``code`` (written at the function body's indentation);
- ``Replace(fn, old, new)``: a text edit of that cell (``old`` must occur in it);
- ``AddCell(before_fn, code)``: a new code cell, as Jupyter's "insert cell" makes it (no nbgrader metadata),
  just above the cell that defines ``before_fn``;
- ``Append(fn, code)``: lines added at the end of that cell (an IPython magic, a print, a quick try-out).

``honest`` submissions are correct and must score full marks. A ``bug`` submission carries one mistake and
must lose points on ``target`` (the test cell fails, so nbgrader gives it 0) and on no other check; ``keeps``
is what it still scores on ``target`` in the course's grader, case by case (its cases that the bug does not
affect: e.g. an in-place clip changes nothing when no clipping is needed). ``needs`` names an engine feature
the submission relies on, for the tests to mark it as expected to fail until the engine has it (none does
now: the engine runs added cells and magics as nbgrader's kernel does).
"""

from __future__ import annotations

import copy
import os
import textwrap
from dataclasses import dataclass, field

import nbformat

from autograder.checks import ASSIGNMENTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ADDED_CELLS = "added-cell support in the engine"   # nbgrader runs cells the student added, in order
MAGICS = "IPython magics in the engine"             # nbgrader's kernel runs %magics


@dataclass(frozen=True)
class Body:
    fn: str
    code: str


@dataclass(frozen=True)
class Replace:
    fn: str
    old: str
    new: str


@dataclass(frozen=True)
class AddCell:
    before_fn: str
    code: str


@dataclass(frozen=True)
class Append:
    fn: str
    code: str


@dataclass(frozen=True)
class Submission:
    name: str            # the file's stem, which the grader takes as the student's id
    chapter: str
    edits: tuple
    kind: str = "honest"  # or "bug"
    target: str = ""     # the check a bug must lose points on
    keeps: float | None = 0.0  # what a bug still scores on target (None: not stated, only that it loses some)
    needs: str = ""      # an engine feature it depends on (see ADDED_CELLS, MAGICS)
    what: str = ""


def _defines(cell, fn: str) -> bool:
    return cell.cell_type == "code" and (f"def {fn}(" in cell.source or f"class {fn}(" in cell.source)


def _find(nb, fn: str) -> int:
    hits = [k for k, c in enumerate(nb.cells) if _defines(c, fn) and c.metadata.get("nbgrader", {}).get("solution")]
    if len(hits) != 1:
        raise ValueError(f"expected one solution cell defining {fn}, found {len(hits)}")
    return hits[0]


def build(sub: Submission) -> nbformat.NotebookNode:
    """The submission's notebook (nbformat 4), from the chapter's solutions notebook."""
    path = os.path.join(ROOT, "solutions", ASSIGNMENTS[sub.chapter], "exercises.ipynb")
    nb = copy.deepcopy(nbformat.read(path, as_version=4))
    for e in sub.edits:
        if isinstance(e, AddCell):
            k = _find(nb, e.before_fn)
            nb.cells.insert(k, nbformat.v4.new_code_cell(textwrap.dedent(e.code).strip("\n")))
            continue
        cell = nb.cells[_find(nb, e.fn)]
        src = cell.source
        if isinstance(e, Body):
            begin, end = src.index("### BEGIN SOLUTION"), src.index("### END SOLUTION")
            indent = src[src.rindex("\n", 0, end) + 1:end]
            code = textwrap.indent(textwrap.dedent(e.code).strip("\n"), indent)
            src = src[:begin] + "### BEGIN SOLUTION\n" + code + "\n" + indent + src[end:]
        elif isinstance(e, Replace):
            if e.old not in src:
                raise ValueError(f"{sub.name}: {e.old!r} is not in the solution of {e.fn}")
            src = src.replace(e.old, e.new)
        elif isinstance(e, Append):
            src = src.rstrip("\n") + "\n\n" + textwrap.dedent(e.code).strip("\n")
        cell.source = src
    nbformat.validate(nb)
    return nb


def write(sub: Submission, folder: str) -> str:
    path = os.path.join(folder, f"{sub.name}.ipynb")
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(build(sub), f)
    return path


H = Submission  # short alias for the table below


def _bug(name, chapter, target, edits, keeps=0.0, what=""):
    return Submission(name, chapter, tuple(edits), "bug", target, keeps, what=what)


# ---------------------------------------------------------------------------------------------------------
# honest submissions: two or more styles per chapter, each full marks

HONEST = [
    # chapter 1: loops instead of matrix products; softmax through a helper in an added cell; prints
    H("ch01_loops", "ch01", (
        Body("affine_forward", """
            N, M = x.shape[0], w.shape[1]
            out = np.zeros((N, M))
            for n in range(N):
                for m in range(M):
                    out[n, m] = sum(x[n, d] * w[d, m] for d in range(x.shape[1])) + b[m]
            cache = (x, w, b)
        """),
        Body("affine_backward", """
            x, w, b = cache
            dx = np.einsum("nm,dm->nd", dout, w)
            dw = np.einsum("nd,nm->dm", x, dout)
            db = np.einsum("nm->m", dout)
        """),
        Body("numerical_gradient", """
            grad = np.zeros_like(x)
            flat, g = x.reshape(-1), grad.reshape(-1)  # views: writing flat writes x
            for i in range(flat.size):
                flat[i] += h  # restore by adding h back: off by an ulp only
                fp = f()
                flat[i] -= 2 * h
                fm = f()
                flat[i] += h
                g[i] = (fp - fm) / (2 * h)
        """),
    ), what="loops and einsum; the gradient check restores x by adding h back"),
    H("ch01_prints_float64", "ch01", (
        Body("tanh_forward", """
            x = np.asarray(x, dtype=np.float64)
            print("tanh_forward on", x.shape)
            out = np.tanh(x)
            cache = out
        """),
        Body("softmax_loss", """
            N = x.shape[0]
            m = np.max(x, axis=1, keepdims=True)
            lse = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))  # log-sum-exp, stable
            loss = float(np.mean(lse[:, 0] - x[np.arange(N), y]))
            dx = np.exp(x - lse)
            dx[np.arange(N), y] -= 1.0
            dx = dx / N
            print(f"loss = {loss:.4f}")
        """),
    ), what="prints inside functions, explicit float64, log-sum-exp"),
    H("ch01_helper_cell", "ch01", (
        AddCell("softmax_loss", """
            def log_softmax(z):
                z = z - z.max(axis=1, keepdims=True)
                return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        """),
        Body("softmax_loss", """
            N = x.shape[0]
            logp = log_softmax(x)
            loss = -logp[np.arange(N), y].mean()
            dx = np.exp(logp)
            dx[np.arange(N), y] -= 1
            dx /= N
        """),
    ), what="a helper defined in a cell the student added"),

    # chapter 2
    H("ch02_loops", "ch02", (
        Body("rnn_forward", """
            N, T, D = x.shape
            h = np.zeros((N, T, h0.shape[1]))
            prev_h = h0
            for t in range(T):
                prev_h, _ = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)  # reuse exercise 1
                h[:, t, :] = prev_h
            cache = (x, h0, Wx, Wh, h)
        """),
        Body("softmax_temperature", """
            p = np.zeros_like(scores, dtype=np.float64)
            for n in range(scores.shape[0]):
                z = scores[n] / temperature
                e = np.exp(z - z.max())
                p[n] = e / e.sum()
        """),
        Body("sample_chars", """
            N, T = u.shape
            chars = np.zeros((N, T), dtype=np.int64)
            h, c = h0.copy(), c0.copy()
            for t in range(T):
                h = np.tanh(Wx[c] + h @ Wh + b)
                p = softmax_temperature(h @ Wy + by, temperature)
                for n in range(N):  # inverse CDF, one row at a time
                    c[n] = min(int(np.searchsorted(np.cumsum(p[n]), u[n, t], side="right")), p.shape[1] - 1)
                chars[:, t] = c
        """),
    ), what="loops over rows, searchsorted for the inverse CDF"),
    H("ch02_prints_magic", "ch02", (
        Replace("rnn_step_forward", "    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)",
                "    print('step', x.shape, prev_h.shape)\n    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)"),
        Append("rnn_step_forward", "%precision 6"),
    ), what="a print and an IPython magic in a solution cell"),

    H("ch02_prints", "ch02", (
        Replace("softmax_temperature", "    e = np.exp(z)\n",
                "    e = np.exp(z)\n    print('row sums before normalising:', e.sum(axis=1))\n"),
        Replace("rnn_forward", "    for t in range(T):\n",
                "    print('rnn_forward', N, T, D, H)\n    for t in range(T):\n"),
    ), what="prints in two functions"),

    # chapter 3
    H("ch03_loops", "ch03", (
        Body("rnn_step_backward", """
            x, prev_h, Wx, Wh, next_h = cache
            da = dnext_h * (1.0 - next_h * next_h)
            dx = np.dot(da, Wx.T)
            dprev_h = np.dot(da, Wh.T)
            dWx = np.einsum("nd,nh->dh", x, da)
            dWh = np.einsum("nk,nh->kh", prev_h, da)
            db = np.sum(da, axis=0)
        """),
        Body("rnn_backward", """
            x, h0, Wx, Wh, h = cache
            T = x.shape[1]
            dx = np.zeros_like(x)
            dh0 = np.zeros_like(h0)
            dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
            for t in range(T - 1, -1, -1):
                prev_h = h0 if t == 0 else h[:, t - 1]
                dx_t, dh0, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh0, (x[:, t], prev_h, Wx, Wh, h[:, t]))
                dx[:, t] = dx_t
                dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        """),
    ), what="the sequence backward built from the step backward"),
    H("ch03_truncated_chunks", "ch03", (
        Body("rnn_backward_truncated", """
            x, h0, Wx, Wh, h = cache
            N, T, D = x.shape
            dx = np.zeros_like(x)
            dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
            dh0 = np.zeros_like(h0)
            for start in range(0, T, k):  # chunk by chunk; no gradient crosses a chunk's start
                stop = min(start + k, T)
                dprev = np.zeros_like(h0)
                for t in reversed(range(start, stop)):
                    prev_h = h[:, t - 1] if t > 0 else h0
                    da = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)
                    dx[:, t] = da @ Wx.T
                    dprev = da @ Wh.T
                    dWx += x[:, t].T @ da
                    dWh += prev_h.T @ da
                    db += da.sum(axis=0)
                if start == 0:
                    dh0 = dprev
        """),
    ), what="truncation written chunk by chunk"),

    # chapter 4
    H("ch04_styles", "ch04", (
        Body("gradient_norms", """
            N, T, H = h.shape
            norms = []
            g = dlast.copy()
            for t in range(T - 1, -1, -1):
                norms.append(np.sqrt(np.sum(g * g)))
                g = (g * (1.0 - h[:, t] ** 2)) @ Wh.T
            norms = np.array(norms[::-1], dtype=np.float64)
        """),
        Body("clip_grad_norm", """
            total_norm = float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads])))
            coef = min(1.0, max_norm / (total_norm + 1e-6))
            clipped = []
            for g in grads:
                c = np.array(g, dtype=np.float64, copy=True)
                c *= coef  # in place on a copy: the caller's arrays stay as they were
                clipped.append(c)
        """),
        Body("train_long_lag", """
            losses = []
            params = [p.copy() for p in params]
            for _ in range(steps):
                loss, grads = loss_and_grads(params)
                if max_norm is not None:
                    grads, _ = clip_grad_norm(grads, max_norm)  # exercise 2
                for p, g in zip(params, grads):
                    p -= lr * g
                losses.append(loss)
            losses = np.array(losses)
        """),
    ), what="loops, a clip on copies, training through exercise 2"),
    H("ch04_prints", "ch04", (
        Replace("clip_grad_norm", "    clipped = [g * coef for g in grads]",
                "    clipped = [np.multiply(g, coef) for g in grads]\n    print(f'norm {total_norm:.3g}, coef {coef:.3g}')"),
    ), what="np.multiply and a print"),

    # chapter 5
    H("ch05_naive_sigmoid", "ch05", (
        Replace("lstm_step_forward", "sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid without overflow",
                "sig = lambda z: 1 / (1 + np.exp(-z))"),
        Body("lstm_forward", """
            N, T, D = x.shape
            h = np.zeros((N, T, h0.shape[1]))
            prev_h, prev_c = h0, np.zeros_like(h0)
            for t in range(T):
                prev_h, prev_c, _ = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)  # exercise 1
                h[:, t] = prev_h
            cache = (x, h0, Wx, Wh, b, h)
        """),
    ), what="the textbook sigmoid (overflows harmlessly); the sequence from the step"),
    H("ch05_helper_cell", "ch05", (
        AddCell("lstm_step_forward", """
            def sigmoid(z):
                return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
        """),
        Replace("lstm_step_forward", "sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid without overflow",
                "sig = sigmoid"),
    ), what="the sigmoid in a cell the student added"),

    H("ch05_torch_functional", "ch05", (
        Replace("LSTMCell", "        a = input @ self.weight_ih.T + h0 @ self.weight_hh.T  # (N, 4H)\n"
                            "        if self.bias_ih is not None:\n"
                            "            a = a + self.bias_ih + self.bias_hh\n",
                "        F = torch.nn.functional\n"
                "        a = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h0, self.weight_hh, self.bias_hh)\n"),
        Replace("LSTMCell", "        ai, af, ag, ao = a.chunk(4, dim=1)  # (N, H) each",
                "        ai, af, ag, ao = torch.split(a, self.hidden_size, dim=1)"),
        Replace("lstm_step_backward", "    tc = np.tanh(next_c)",
                "    print('backward of one step')\n    tc = np.tanh(next_c)"),
    ), what="F.linear and torch.split in the module; a print in the backward"),

    H("ch05_seed_line", "ch05", (
        Replace("LSTMCell", "class LSTMCell(torch.nn.Module):", "torch.manual_seed(0)  # reproducible init\n\n\n"
                                                              "class LSTMCell(torch.nn.Module):"),
    ), what="a module-level torch.manual_seed(0) above the class (torch is forbidden only in the NumPy exercises)"),

    # chapter 6
    H("ch06_split_weights", "ch06", (
        Body("gru_step_forward", """
            H = prev_h.shape[1]
            Wxr, Wxz, Wxn = np.split(Wx, 3, axis=1)
            Whr, Whz, Whn = np.split(Wh, 3, axis=1)
            bxr, bxz, bxn = np.split(bx, 3)
            bhr, bhz, bhn = np.split(bh, 3)
            r = 1 / (1 + np.exp(-(x @ Wxr + bxr + prev_h @ Whr + bhr)))
            z = 1 / (1 + np.exp(-(x @ Wxz + bxz + prev_h @ Whz + bhz)))
            hn = prev_h @ Whn + bhn
            n = np.tanh(x @ Wxn + bxn + r * hn)
            next_h = n + z * (prev_h - n)
            cache = (x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)
        """),
    ), what="the gates from split weights, next_h = n + z (h - n)"),
    H("ch06_prints", "ch06", (
        Replace("gru_step_backward", "    dx = dax @ Wx.T",
                "    print('dax', dax.shape)\n    dx = np.matmul(dax, Wx.T)"),
    ), what="a print and np.matmul"),

    # chapter 7
    H("ch07_sgd", "ch07", (
        Body("train_char_model", """
            rng = np.random.default_rng(seed)
            params = [np.array(p, dtype=np.float64) for p in params]
            for step in range(steps):
                starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
                x = np.stack([data[s:s + seq_len] for s in starts])
                y = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
                loss, grads = loss_and_grads(params, x, y)
                norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
                scale = min(1.0, 5.0 / (norm + 1e-6))
                params = [p - 1.0 * scale * g for p, g in zip(params, grads)]
        """),
    ), what="plain SGD at learning rate 1 with clipping (the text's second suggestion)"),
    H("ch07_small_batches", "ch07", (
        Replace("train_char_model", "size=batch_size)", "size=batch_size // 2)  # fewer windows than allowed"),
        Replace("train_char_model", "    for step in range(1, steps + 1):",
                "    print('training for', steps, 'steps')\n    for step in range(1, steps + 1):"),
    ), what="8 windows per call (fewer than allowed) and a print"),

    # chapter 8
    H("ch08_loops_lse", "ch08", (
        Body("additive_attention_forward", """
            N, S, _ = keys.shape
            u = np.zeros((N, S, Wq.shape[1]))
            for j in range(S):
                u[:, j] = np.tanh(query @ Wq + keys[:, j] @ Wk + b)
            e = np.einsum("nsa,a->ns", u, v)
            m = e.max(axis=1, keepdims=True)
            lse = m + np.log(np.exp(e - m).sum(axis=1, keepdims=True))
            alpha = np.exp(e - lse)
            context = np.einsum("ns,nsh->nh", alpha, keys)
            cache = (query, keys, Wq, Wk, b, v, u, alpha)
        """),
        Body("attention_decoder_step", """
            context, alpha, _ = additive_attention_forward(s_prev, keys, Wq, Wk, b, v)  # exercise 1
            s = np.tanh(y_prev @ Wy + context @ Wc + s_prev @ Ws + bs)
        """),
    ), what="a loop over source positions, log-sum-exp, the decoder through exercise 1"),
    H("ch08_helper_cell", "ch08", (
        AddCell("additive_attention_forward", """
            def softmax(e, axis=-1):
                e = e - e.max(axis=axis, keepdims=True)
                w = np.exp(e)
                return w / w.sum(axis=axis, keepdims=True)
        """),
        Replace("additive_attention_forward",
                "    e = e - e.max(axis=1, keepdims=True)\n"
                "    alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)  # (N, S)",
                "    alpha = softmax(e, axis=1)"),
    ), what="a softmax helper in a cell the student added"),

    H("ch08_prints", "ch08", (
        Replace("additive_attention_backward", "    dv = np.einsum(\"ns,nsa->a\", de, u)  # (A,)",
                "    dv = (de[:, :, None] * u).sum(axis=(0, 1))\n    print('dv', dv.shape)"),
    ), what="a sum instead of einsum, and a print"),
    H("ch08_beam_vectorised", "ch08", (
        Body("beam_search", """
            seqs, scores, hs = [[]], np.zeros(1), h0[None]  # live hypotheses, scores (K,), states (K, H)
            done = []
            for _ in range(max_len):
                last = np.array([q[-1] if q else bos for q in seqs])
                hs = np.tanh(E[last] + hs @ W + b)  # (K, H)
                z = hs @ Wo + bo
                z = z - z.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (K, V)
                cand = (scores[:, None] + logp).ravel()
                top = np.argsort(-cand, kind="stable")[:beam_width]
                k, v = np.divmod(top, logp.shape[1])
                end = v == eos
                done += [(seqs[i] + [int(t)], c) for i, t, c in zip(k[end], v[end], cand[top][end])]
                seqs = [seqs[i] + [int(t)] for i, t in zip(k[~end], v[~end])]
                scores, hs = cand[top][~end], hs[k[~end]]
                if not seqs:
                    break
            done += list(zip(seqs, scores))
            tokens, score = done[int(np.argmax([c / len(q) ** alpha for q, c in done]))]
        """),
    ), what="beam search on arrays: every hypothesis's step at once, np.argsort over K*V candidates"),

    # chapter 10
    H("ch10_fold_with_combine", "ch10", (
        Replace("linear_recurrence_scan", "B[:, 0] = B[:, 0] + A[:, 0] * h0",
                "_, B[:, 0] = combine(np.zeros_like(h0), h0, A[:, 0], B[:, 0])"),
        Body("linear_recurrence_sequential", """
            N, T, H = a.shape
            out = []
            h = h0
            for t in range(T):
                h = a[:, t] * h + b[:, t]
                out.append(h)
            h = np.stack(out, axis=1)
        """),
    ), what="h0 folded in by one more combine call; the loop collects a list"),
    H("ch10_shifted", "ch10", (
        Body("linear_recurrence_scan", """
            A = np.array(a, dtype=np.float64)
            B = np.array(b, dtype=np.float64)
            B[:, 0] += A[:, 0] * h0
            T, d = A.shape[1], 1
            while d < T:
                # shift by d, padding with the identity map (1, 0): one combine over all T steps
                A_prev = np.concatenate([np.ones_like(A[:, :d]), A[:, :-d]], axis=1)
                B_prev = np.concatenate([np.zeros_like(B[:, :d]), B[:, :-d]], axis=1)
                A, B = combine(A_prev, B_prev, A, B)
                d *= 2
            h = B
        """),
    ), what="shift-and-pad with the identity map, one combine per round on all T steps"),
    H("ch10_magic", "ch10", (
        Append("linear_recurrence_scan", "%time _ = linear_recurrence_scan(np.ones((1, 8, 2)), np.ones((1, 8, 2)), "
                                         "np.zeros((1, 2)), combine)"),
    ), what="%time left in the solution cell"),
]

# ---------------------------------------------------------------------------------------------------------
# one-bug submissions: the bugs issue 11 names, each must lose points on its exercise and no other

BUGS = [
    _bug("ch04_clip_in_place", "ch04", "ch04_clip_grad_norm", [Body("clip_grad_norm", """
            total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
            coef = min(1.0, max_norm / (total_norm + 1e-6))
            for g in grads:
                g *= coef  # scales the caller's arrays
            clipped = grads
        """)], keeps=1.0, what="clips the caller's arrays in place (the unclipped and all-zero cases still pass)"),
    _bug("ch08_naive_softmax", "ch08", "ch08_additive_attention_forward", [
        Replace("additive_attention_forward", "    e = e - e.max(axis=1, keepdims=True)\n", "")],
         keeps=2.0, what="softmax without the max subtraction: NaN where exp overflows"),
    _bug("ch01_ignores_h", "ch01", "ch01_numerical_gradient", [Body("numerical_gradient", """
            step = 1e-5  # the step the student tried first, hard-coded
            grad = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + step
                fp = f()
                x[i] = old - step
                fm = f()
                x[i] = old
                grad[i] = (fp - fm) / (2 * step)
        """)], keeps=1.5, what="ignores its step h (the cases at h = 1e-5 still pass)"),
    _bug("ch10_scan_calls_loop", "ch10", "ch10_linear_recurrence_scan", [Body("linear_recurrence_scan", """
            h = linear_recurrence_sequential(a, b, h0)  # exercise 2's loop
        """)], keeps=0.5, what="the 'parallel scan' calls the sequential loop (T = 1 still passes)"),
    _bug("ch10_scan_loops_over_time", "ch10", "ch10_linear_recurrence_scan", [Body("linear_recurrence_scan", """
            T = a.shape[1]
            A, B = a.copy(), b.copy()
            B[:, 0] = B[:, 0] + A[:, 0] * h0
            for t in range(1, T):  # a loop over time, through combine
                A[:, t], B[:, t] = combine(A[:, t - 1], B[:, t - 1], A[:, t], B[:, t])
            h = B
        """)], keeps=1.0, what="a loop over time through combine (T <= 10 still passes)"),
    _bug("ch10_min_gru_scan_per_step", "ch10", "ch10_min_gru", [Replace(
        "min_gru_parallel",
        "    z = sig(x @ Wz + bz)  # (N, T, D) x (D, H) -> (N, T, H): every step's gate at once\n"
        "    a = 1 - z\n    b = z * (x @ Wh + bh)  # (N, T, H)\n    h = scan(a, b, h0)\n",
        "    h, prev = np.zeros((x.shape[0], x.shape[1], h0.shape[1])), h0\n"
        "    for t in range(x.shape[1]):  # one scan call per time step: a loop in disguise\n"
        "        z = sig(x[:, t:t + 1] @ Wz + bz)\n"
        "        prev = scan(1 - z, z * (x[:, t:t + 1] @ Wh + bh), prev)[:, 0]\n"
        "        h[:, t] = prev\n")],
         keeps=0.5, what="minGRU's 'parallel' form calls scan once per time step (T = 1 still passes)"),
    _bug("ch07_all_windows_per_call", "ch07", "ch07_train_char_model", [
        Replace("train_char_model", "size=batch_size)", "size=8 * batch_size)")],
         what="128 windows per call under a stated batch size of 16"),
    _bug("ch05_vf_lstm_cell", "ch05", "ch05_lstm_cell_torch", [Replace("LSTMCell",
         "        h0, c0 = hx\n",
         "        h0, c0 = hx\n        return tuple(torch._VF.lstm_cell(input, (h0, c0), self.weight_ih, self.weight_hh,\n"
         "                                         self.bias_ih, self.bias_hh))\n")],
         what="calls PyTorch's own LSTM kernel (torch._VF.lstm_cell), which the exercise forbids"),
    _bug("ch01_softmax_no_shift", "ch01", "ch01_softmax_loss", [Replace("softmax_loss",
         "z = x - x.max(axis=1, keepdims=True)  # (N, C)", "z = x")], keeps=2.0,
         what="log-softmax without the max shift: inf/NaN for scores in the hundreds"),
    _bug("ch02_softmax_no_shift", "ch02", "ch02_softmax_temperature", [Replace("softmax_temperature",
         "z = z - z.max(axis=1, keepdims=True)", "z = z")], keeps=2.0,
         what="softmax at a temperature without the max shift"),
    _bug("ch01_not_restored", "ch01", "ch01_numerical_gradient", [Replace("numerical_gradient",
         "x[i] = old  # restore", "pass")], what="x not restored after the perturbation"),
]



def _student_bugs() -> list[Submission]:
    """The one-line bugs of tests/exercises/test_student_bugs.py (graded there in-process), as notebooks for
    the CLI; chapter 9's belong with its own corpus."""
    import importlib.util

    path = os.path.join(ROOT, "tests", "exercises", "test_student_bugs.py")
    spec = importlib.util.spec_from_file_location("_student_bugs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = []
    for k, (chapter, target, fn, old, new, what) in enumerate(mod.BUGS):
        if chapter != "ch09":
            out.append(Submission(f"oneline_{k:02d}_{target}", chapter, (Replace(fn, old, new),), "bug", target,
                                  None, what=what))
    return out


ONE_LINE_BUGS = _student_bugs()
SUBMISSIONS = HONEST + BUGS + ONE_LINE_BUGS
