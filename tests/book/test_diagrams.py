"""The code-generated diagrams (rnnbook.diagrams): each draws a figure with its labels, and checks its input."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from rnnbook import diagrams  # noqa: E402

EXPECTED = {  # a few labels each diagram must carry (as matplotlib text)
    "rnn_loop_and_unrolled": ["$h_t$", "$W_{hh}$", "$h_0$", "$x_{1}$"],
    "bptt_graph": [r"$\ell_{1}$", "$h_{4}$", r"$\delta_t = \partial L/\partial h_t$"],
    "lstm_cell": ["$c_{t-1}$", "$c_t$", "$f_t$", "$i_t$", "$g_t$", "$o_t$", "$h_t$"],
    "gru_cell": ["$z_t$", "$r_t$", "$h_t$"],
    "encoder_decoder_attention": ["$h_{1}$", "$s_{1}$", "k", "AY"],
    "scan_tree": ["1..8", "round 3", "input"],
}


@pytest.mark.parametrize("name", diagrams.__all__)
def test_each_diagram_draws_its_parts(name):
    import matplotlib.pyplot as plt

    fig = getattr(diagrams, name)()
    try:
        ax = fig.axes[0]
        texts = {t.get_text() for t in ax.texts}
        missing = [s for s in EXPECTED[name] if s not in texts]
        assert not missing, f"{name}: labels {missing} not drawn"
        assert len(ax.patches) >= 8, f"{name}: only {len(ax.patches)} shapes"
        fig.canvas.draw()  # renders: mathtext that does not parse fails here
    finally:
        plt.close(fig)


def test_every_diagram_is_tested():
    assert set(EXPECTED) == set(diagrams.__all__)


def test_scan_tree_has_one_row_per_round():
    import matplotlib.pyplot as plt

    fig = diagrams.scan_tree(T=16)
    labels = {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)
    assert {"round 1", "round 4", "1..16"} <= labels and "round 5" not in labels


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sizes_are_one_line_errors(bad):
    with pytest.raises(ValueError, match="expected a positive int"):
        diagrams.scan_tree(T=bad)
    with pytest.raises(ValueError, match="expected a positive int"):
        diagrams.rnn_loop_and_unrolled(steps=bad)


def test_empty_sequences_are_refused():
    with pytest.raises(ValueError, match="expected non-empty"):
        diagrams.encoder_decoder_attention("", ("A",))
