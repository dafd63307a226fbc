"""Diagrams of the book's machinery, drawn with matplotlib when a page is built (nothing is copied in).

Each function draws on a new figure (or on ``ax``) and returns the figure. The pages call them where the text first
needs them: :func:`rnn_loop_and_unrolled` (chapter 2), :func:`bptt_graph` (chapter 3), :func:`lstm_cell`
(chapter 5), :func:`gru_cell` (chapter 6), :func:`encoder_decoder_attention` (chapter 8) and :func:`scan_tree`
(chapter 10). The symbols are the book's (see the notation page): rows or columns do not matter in a picture.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch


__all__ = ["rnn_loop_and_unrolled", "bptt_graph", "lstm_cell", "gru_cell", "encoder_decoder_attention", "scan_tree"]

def check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")


INK, ACCENT, BACK, STATE, GATE, SOFT = "#222222", "#1f4e79", "#b03a2e", "#dbe8f5", "#fbe5c8", "#eeeeee"


def _canvas(ax, size, xlim, ylim):
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure, ax


def _box(ax, x, y, text, w=1.0, h=0.6, fc=STATE, ec=INK, fontsize=11, round_=0.12):
    """A rounded box centred at (x, y) with ``text`` in it."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=f"round,pad=0.02,rounding_size={round_}",
                                fc=fc, ec=ec, lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=INK)


def _node(ax, x, y, text, r=0.22, fc="white", fontsize=11):
    """A small circle (a pointwise operation such as × or +) centred at (x, y)."""
    ax.add_patch(Circle((x, y), r, fc=fc, ec=INK, lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=INK)


def _arrow(ax, p, q, color=INK, ls="-", rad=0.0, lw=1.3, shrink=0.0):
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=12, color=color, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=shrink, shrinkB=shrink))


def _label(ax, x, y, text, fontsize=10, color=INK, **kw):
    ax.text(x, y, text, ha=kw.pop("ha", "center"), va=kw.pop("va", "center"), fontsize=fontsize, color=color, **kw)


def rnn_loop_and_unrolled(steps: int = 4, ax=None):
    """Left: one cell with its loop h_{t-1} -> h_t; right: the same cell unrolled over ``steps`` steps, one
    set of weights (W_xh, W_hh, W_hy) used at every step."""
    check_positive_int("steps", steps)
    fig, ax = _canvas(ax, (2.8 + 1.6 * steps, 3.2), (-0.8, 3.4 + 1.6 * steps), (-1.7, 1.6))
    # the loop
    _box(ax, 0.3, 0.0, "$h_t$")
    _label(ax, 0.3, -1.15, "$x_t$")
    _arrow(ax, (0.3, -0.95), (0.3, -0.32))
    _label(ax, 0.3, 1.25, "$y_t$")
    _arrow(ax, (0.3, 0.32), (0.3, 1.05))
    ax.add_patch(FancyArrowPatch((0.8, 0.15), (0.8, -0.15), arrowstyle="-|>", mutation_scale=12, color=ACCENT,
                                 lw=1.4, connectionstyle="arc,angleA=0,angleB=0,armA=28,armB=28,rad=8"))
    _label(ax, 1.55, 0.0, "$W_{hh}$", color=ACCENT, ha="left")
    _label(ax, 0.45, -0.65, "$W_{xh}$", fontsize=8, ha="left")
    _label(ax, 0.45, 0.7, "$W_{hy}$", fontsize=8, ha="left")
    _label(ax, 2.45, 0.0, "=", fontsize=18)
    # unrolled
    x0 = 4.1
    for t in range(steps):
        x = x0 + 1.6 * t
        name = "t" if t == steps - 1 else f"{t + 1}"
        _box(ax, x, 0.0, f"$h_{{{name}}}$")
        _label(ax, x, -1.15, f"$x_{{{name}}}$")
        _arrow(ax, (x, -0.95), (x, -0.32))
        _label(ax, x, 1.25, f"$y_{{{name}}}$")
        _arrow(ax, (x, 0.32), (x, 1.05))
        left = (x - 1.6 + 0.5, 0.0) if t else (x - 0.95, 0.0)
        _arrow(ax, left, (x - 0.5, 0.0), color=ACCENT)
        if t == steps - 2 and steps > 2:
            _label(ax, x + 0.8, 0.25, "…", fontsize=12)
    _label(ax, x0 - 1.0, 0.0, "$h_0$", ha="right")
    _label(ax, x0 + 0.8 * (steps - 1), -1.6, "the same $W_{xh}$, $W_{hh}$, $W_{hy}$ at every step", fontsize=8,
           color=ACCENT)
    return fig


def bptt_graph(steps: int = 4, ax=None):
    """The unrolled graph with the losses l_t on every step: forward arrows in ink, the gradient's paths back in
    red. The gradient reaching h_t (delta_t) is the sum of what comes from its own loss and from h_{t+1}."""
    check_positive_int("steps", steps)
    fig, ax = _canvas(ax, (2.0 + 1.9 * steps, 3.6), (-2.2, 1.9 * steps + 0.4), (-1.5, 2.5))
    for t in range(steps):
        x = 1.9 * t
        _box(ax, x, 0.0, f"$h_{{{t + 1}}}$")
        _label(ax, x, -1.25, f"$x_{{{t + 1}}}$")
        _arrow(ax, (x, -1.05), (x, -0.32))
        _box(ax, x, 1.6, rf"$\ell_{{{t + 1}}}$", w=0.7, h=0.5, fc=SOFT)
        _arrow(ax, (x - 0.12, 0.32), (x - 0.12, 1.33))
        _arrow(ax, (x + 0.12, 1.33), (x + 0.12, 0.32), color=BACK, ls="--")
        if t:
            _arrow(ax, (x - 1.4, 0.1), (x - 0.5, 0.1))
            _arrow(ax, (x - 0.5, -0.12), (x - 1.4, -0.12), color=BACK, ls="--")
    _label(ax, -0.9, 2.25, "forward", fontsize=9, ha="right")
    ax.plot([-0.8, -0.3], [2.25, 2.25], color=INK)
    _label(ax, 0.9, 2.25, r"gradient, backward (each step back: $\cdot\,\mathrm{diag}(1-h^2)\,W_{hh}$)", fontsize=9,
           color=BACK, ha="left")
    ax.plot([0.3, 0.8], [2.25, 2.25], color=BACK, ls="--")
    _label(ax, 1.9 * (steps - 1) + 0.6, 0.75, r"$\delta_t = \partial L/\partial h_t$", fontsize=8, color=BACK,
           ha="left")
    return fig


def _cell_frame(ax, x0, y0, w, h):
    ax.add_patch(FancyBboxPatch((x0, y0), w, h, boxstyle="round,pad=0.02,rounding_size=0.25", fc="#f7f9fc",
                                ec=ACCENT, lw=1.5))


def lstm_cell(ax=None):
    """One LSTM step: the cell line c_{t-1} -> x f_t -> + i_t g_t -> c_t along the top, the four gate blocks
    (sigma, sigma, tanh, sigma) fed by [h_{t-1}, x_t], and h_t = o_t * tanh(c_t)."""
    fig, ax = _canvas(ax, (7.2, 4.1), (-1.2, 8.4), (-1.9, 3.4))
    _cell_frame(ax, 0.0, -0.6, 7.0, 3.5)
    y_c, y_g = 2.3, 0.3
    _label(ax, -0.7, y_c, "$c_{t-1}$")
    _label(ax, 7.7, y_c, "$c_t$")
    _node(ax, 1.5, y_c, "×")
    _node(ax, 3.5, y_c, "+")
    ax.plot([-0.35, 1.28], [y_c, y_c], color=ACCENT, lw=2.2)
    ax.plot([1.72, 3.28], [y_c, y_c], color=ACCENT, lw=2.2)
    _arrow(ax, (3.72, y_c), (7.3, y_c), color=ACCENT, lw=2.2)
    _label(ax, 2.5, y_c + 0.35, "cell state: only × and +", fontsize=8, color=ACCENT)
    gates = [(1.5, r"$\sigma$", "$f_t$"), (2.7, r"$\sigma$", "$i_t$"), (3.9, r"$\tanh$", "$g_t$"),
             (5.1, r"$\sigma$", "$o_t$")]
    for x, f, name in gates:
        _box(ax, x, y_g, f, w=0.8, h=0.5, fc=GATE, fontsize=10)
        _label(ax, x + 0.28, y_g + 0.5, name, fontsize=9, ha="left")
    _arrow(ax, (1.5, y_g + 0.25), (1.5, y_c - 0.22))
    _node(ax, 3.3, 1.3, "×")
    _arrow(ax, (2.7, y_g + 0.25), (3.12, 1.17))
    _arrow(ax, (3.9, y_g + 0.25), (3.48, 1.17))
    _arrow(ax, (3.3, 1.52), (3.45, y_c - 0.22))
    _box(ax, 6.1, 1.3, r"$\tanh$", w=0.75, h=0.45, fc=SOFT, fontsize=9)
    _arrow(ax, (6.1, y_c), (6.1, 1.53))
    _node(ax, 6.1, 0.3, "×")
    _arrow(ax, (6.1, 1.07), (6.1, 0.52))
    _arrow(ax, (5.5, y_g), (5.88, 0.3))
    ax.plot([6.32, 6.8], [0.3, 0.3], color=INK, lw=1.3)
    _arrow(ax, (6.8, 0.3), (6.8, -0.25))
    ax.plot([6.8, 6.8], [-0.25, -1.0], color=INK, lw=1.3)
    _arrow(ax, (6.8, -1.0), (7.5, -1.0))
    _label(ax, 7.85, -1.0, "$h_t$")
    # input bus: [h_{t-1}, x_t] feeds every gate
    ax.plot([-0.35, 5.1], [-0.25, -0.25], color=INK, lw=1.3)
    for x, *_ in gates:
        _arrow(ax, (x, -0.25), (x, y_g - 0.25))
    _label(ax, -0.7, -0.25, "$h_{t-1}$")
    _label(ax, 0.6, -1.15, "$x_t$")
    _arrow(ax, (0.6, -0.95), (0.6, -0.27))
    _label(ax, 3.5, -1.7, r"each gate: $\sigma$ or $\tanh$ of $x_t W_x + h_{t-1} W_h + b$ (its block)", fontsize=8)
    return fig


def gru_cell(ax=None):
    """One GRU step (PyTorch's variant): reset r_t and update z_t from [h_{t-1}, x_t]; the candidate n_t sees
    r_t * (h_{t-1} W_hn + b_hn); h_t = (1 - z_t) * n_t + z_t * h_{t-1}."""
    fig, ax = _canvas(ax, (7.2, 4.1), (-1.2, 8.4), (-1.9, 3.4))
    _cell_frame(ax, 0.0, -0.6, 7.0, 3.5)
    y_h, y_g = 2.3, 0.3
    _label(ax, -0.7, y_h, "$h_{t-1}$")
    _label(ax, 7.7, y_h, "$h_t$")
    _node(ax, 1.0, y_h, "×")
    _node(ax, 5.9, y_h, "+")
    ax.plot([-0.3, 0.78], [y_h, y_h], color=ACCENT, lw=2.0)
    ax.plot([1.22, 5.68], [y_h, y_h], color=ACCENT, lw=2.0)
    _arrow(ax, (6.12, y_h), (7.3, y_h), color=ACCENT, lw=2.0)
    _label(ax, 2.2, y_h + 0.35, r"$z_t \odot h_{t-1}$: kept", fontsize=8, color=ACCENT)
    # gates from [h_{t-1}, x_t]
    _box(ax, 1.0, y_g, r"$\sigma$", w=0.8, h=0.5, fc=GATE, fontsize=10)
    _label(ax, 0.45, y_g + 0.45, "$z_t$", fontsize=9, ha="right")
    _arrow(ax, (1.0, y_g + 0.25), (1.0, y_h - 0.22))
    _box(ax, 2.4, y_g, r"$\sigma$", w=0.8, h=0.5, fc=GATE, fontsize=10)
    _label(ax, 2.4, y_g + 0.45, "$r_t$", fontsize=9)
    # candidate: r_t multiplies (h_{t-1} W_hn + b_hn), after the product
    _box(ax, 3.7, 1.45, r"$h_{t-1}W_{hn}{+}b_{hn}$", w=1.5, h=0.42, fc=SOFT, fontsize=8)
    _arrow(ax, (3.7, y_h), (3.7, 1.66))
    _node(ax, 3.7, y_g, "×")
    _arrow(ax, (3.7, 1.24), (3.7, y_g + 0.22))
    _arrow(ax, (2.8, y_g), (3.48, y_g))
    _box(ax, 4.9, y_g, r"$\tanh$", w=0.8, h=0.5, fc=GATE, fontsize=10)
    _label(ax, 4.9, y_g - 0.45, r"$n_t$ (with $x_t W_{xn}$)", fontsize=8)
    _arrow(ax, (3.92, y_g), (4.5, y_g))
    _node(ax, 5.9, 1.3, "×")
    _arrow(ax, (5.3, y_g), (5.75, 1.13))
    _arrow(ax, (5.9, 1.52), (5.9, y_h - 0.22))
    ax.plot([1.4, 1.6, 1.6], [y_g + 0.1, y_g + 0.1, 0.95], color=INK, lw=1.0, ls=":")
    _arrow(ax, (1.6, 0.95), (5.68, 1.3), ls=":", lw=1.0)
    _label(ax, 4.6, 1.0, "$1-z_t$", fontsize=8)
    ax.plot([-0.3, 2.4], [-0.25, -0.25], color=INK, lw=1.3)
    for x in (1.0, 2.4):
        _arrow(ax, (x, -0.25), (x, y_g - 0.25))
    _label(ax, -0.7, -0.25, "$h_{t-1}$")
    _label(ax, 0.5, -1.15, "$x_t$")
    _arrow(ax, (0.5, -0.95), (0.5, -0.27))
    _label(ax, 3.5, -1.7, r"$h_t = (1-z_t)\odot n_t + z_t \odot h_{t-1}$ (PyTorch: $r_t$ after the product)",
           fontsize=8)
    return fig


def encoder_decoder_attention(source: str = "knight", target=("N", "AY", "T"), ax=None):
    """Encoder states h_1..h_S over the letters of ``source`` (bottom), decoder states s_t writing ``target``
    (top), and the attention of one decoder step: weights alpha_tj on every encoder state, summed into c_t."""
    S, T = len(source), len(target)
    if S < 1 or T < 1:
        raise ValueError(f"source and target: expected non-empty, got {source!r} and {target!r}")
    width = max(S, T + 2) * 1.2 + 1.0
    fig, ax = _canvas(ax, (min(1.0 * width, 8.0), 4.4), (-0.9, width), (-1.4, 4.6))
    for j, ch in enumerate(source):
        x = 1.2 * j
        _box(ax, x, 0.0, f"$h_{{{j + 1}}}$", w=0.8, h=0.5)
        _label(ax, x, -1.05, ch, fontsize=11, family="monospace")
        _arrow(ax, (x, -0.85), (x, -0.27))
        if j:
            _arrow(ax, (x - 0.8, 0.07), (x - 0.4, 0.07))
            _arrow(ax, (x - 0.4, -0.09), (x - 0.8, -0.09))
    _label(ax, -0.75, 0.0, "encoder", fontsize=8, rotation=90)
    xs = [1.2 * (t + 1) + 0.6 for t in range(T)]
    for t, (x, ph) in enumerate(zip(xs, target)):
        _box(ax, x, 3.2, f"$s_{{{t + 1}}}$", w=0.8, h=0.5, fc=GATE)
        _label(ax, x, 4.25, ph, fontsize=11, family="monospace")
        _arrow(ax, (x, 3.47), (x, 4.05))
        if t:
            _arrow(ax, (xs[t - 1] + 0.42, 3.2), (x - 0.42, 3.2))
    _label(ax, xs[0] - 1.3, 3.2, "decoder", fontsize=8)
    # attention of the second decoder step (or the only one)
    t_att = min(1, T - 1)
    cx, cy = xs[t_att], 1.75
    _node(ax, cx, cy, "$c_{%d}$" % (t_att + 1), r=0.3, fc="#e8f0e0", fontsize=9)
    _arrow(ax, (cx, cy + 0.3), (cx, 2.93))
    weights = [0.05] * S
    for j in range(1, min(S, 4)):
        weights[j] = 0.3
    total = sum(weights)
    for j in range(S):
        w = weights[j] / total
        _arrow(ax, (1.2 * j, 0.27), (cx - 0.2 + 0.4 * j / max(S - 1, 1), cy - 0.3), color=ACCENT, lw=0.6 + 4 * w)
    _label(ax, cx + 0.45, cy - 0.55, r"$\alpha_{%dj}$" % (t_att + 1), fontsize=9, color=ACCENT, ha="left")
    _label(ax, width - 0.2, 1.75, r"$c_t = \sum_j \alpha_{tj}\, h_j$", fontsize=9, ha="right")
    _label(ax, width - 0.2, 1.3, r"$\alpha_{t\cdot} = \mathrm{softmax}_j\, e_{tj}$", fontsize=9, ha="right")
    return fig


def scan_tree(T: int = 8, ax=None):
    """The Hillis-Steele scan over T steps: a row per round k = 0, 1, ..., ceil(log2 T) - 1, in which every
    position t >= 2^k combines with position t - 2^k (arrows). The bottom row is the pairs (a_t, b_t); after the
    last round position t holds the composition of steps 1..t."""
    check_positive_int("T", T)
    rounds = max(1, (T - 1).bit_length())
    fig, ax = _canvas(ax, (min(1.0 + 0.85 * T, 9.0), 1.4 + 1.05 * rounds), (-1.6, T - 0.3), (-0.9, rounds + 0.8))
    for r in range(rounds + 1):
        span = min(T, 2 ** r)
        for t in range(T):
            lo = max(0, t - span + 1)
            txt = f"{t + 1}" if lo == t else f"{lo + 1}..{t + 1}"
            fc = STATE if r == 0 else ("#e8f0e0" if lo == 0 else SOFT)
            _box(ax, t, r, txt, w=0.78, h=0.42, fc=fc, fontsize=8 if T <= 8 else 6, round_=0.08)
        if r:
            shift = 2 ** (r - 1)
            for t in range(T):
                _arrow(ax, (t, r - 0.79), (t, r - 0.21), color="0.6", lw=0.8)
                if t >= shift:
                    _arrow(ax, (t - shift, r - 0.79), (t - 0.12, r - 0.21), color=ACCENT, lw=1.0)
        _label(ax, -0.75, r, "input" if r == 0 else f"round {r}", fontsize=8, ha="right")
    _label(ax, (T - 1) / 2, rounds + 0.55, r"box $i..t$: the composition of steps $i$ to $t$; green: a finished prefix",
           fontsize=8)
    return fig
