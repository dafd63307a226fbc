"""rnnbook.experiments.tables.html_table: the reproduction pages' result tables as real HTML tables."""

import html.parser

import pytest

from rnnbook.experiments.tables import html_table, show_table


class _Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.tags, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._in = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._in)
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in += data


def test_a_table_has_its_header_rows_caption_and_note():
    out = html_table(["model", "T"], [["LSTM", 100], ["GRU"]], caption="Adding", note="Our rows: 3 seeds.")
    p = _Cells()
    p.feed(out)
    assert p.rows == [["model", "T"], ["LSTM", "100"], ["GRU", ""]]  # a short row is padded
    assert {"table", "caption", "thead", "tbody"} <= set(p.tags)
    assert "<caption>Adding</caption>" in out and "Our rows: 3 seeds." in out
    assert "|" not in out  # nothing of a Markdown table is left


def test_cells_are_escaped_and_backticks_become_code():
    out = html_table(["a"], [["<b> & `python scripts/reproduce.py adding`"]])
    assert "&lt;b&gt; &amp; <code>python scripts/reproduce.py adding</code>" in out


def test_bad_tables_are_one_line_errors():
    with pytest.raises(ValueError, match="expected at least one column name"):
        html_table([], [])
    with pytest.raises(ValueError, match=r"expected at most 2 cells a row, got 3"):
        html_table(["a", "b"], [[1, 2, 3]])


def test_show_table_is_html_for_the_notebook():
    obj = show_table(["a"], [[1]])
    assert obj._repr_html_().startswith('<div class="rnnbook-table-wrap"><table class="rnnbook-results">')
