"""The committed full-scale result tables, ``results/<name>.json``, as the chapters read them.

``scripts/reproduce.py`` writes one table per experiment: the command, the machine, the date and the
scale that produced it, ``seeds``, and ``results``, the experiment's own plain result for each seed.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["RESULTS_DIR", "committed", "describe_source", "html_table", "seed_summary", "show_table"]

RESULTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "results")


def committed(name: str, results_dir: str | None = None) -> dict | None:
    """The table ``results/<name>.json`` of this checkout, or None when it has not been produced.

    A table in the layout before ``seeds`` existed (one ``result``) is read as one seed.
    """
    path = os.path.join(results_dir or RESULTS_DIR, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        table = json.load(fh)
    if "results" not in table:
        if "result" not in table:
            raise ValueError(f"{path}: expected a table with 'results' (one per seed), got keys {sorted(table)}")
        table["results"] = [table.pop("result")]
        table["seeds"] = [table["results"][0].get("config", {}).get("seed", 0)]
    return table


def describe_source(table: dict) -> str:
    """'full run, 3 seeds, 2026-12-01 08:30 UTC, CPU': where a row of a chapter's table comes from."""
    n = len(table["seeds"])
    gpu = table["machine"].get("gpu")
    return f"{table['scale']} run, {n} seed{'s' if n != 1 else ''}, {table['machine']['date_utc']}, {gpu or 'CPU'}"


def seed_summary(values, fmt: str = "{:.3f}") -> str:
    """'0.119 (0.112 to 0.125)': the median over seeds and the range, or the one value when all agree.

    ``None`` entries (a run that never got there) are counted: '2 of 3 runs: 44,800 (...)'.
    """
    vals = [v for v in values if v is not None]
    if not vals:
        return f"none of {len(values)}" if len(values) > 1 else "none"
    med = fmt.format(float(np.median(vals)))
    out = med if min(vals) == max(vals) else f"{med} ({fmt.format(min(vals))} to {fmt.format(max(vals))})"
    if len(vals) < len(values):
        out = f"{len(vals)} of {len(values)} runs: {out}"
    return out


def _cell_html(value) -> str:
    """One cell's text, HTML-escaped; `backticked` spans become <code>."""
    import html
    import re

    text = html.escape("" if value is None else str(value))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def html_table(header, rows, caption: str | None = None, note: str | None = None) -> str:
    """An HTML table (``<table class="rnnbook-results">``): ``header`` a list of column names, ``rows`` lists
    of cells (a short row is padded with empty cells), ``caption`` above it, ``note`` in a paragraph below.

    MyST-NB renders a Markdown output as CommonMark, which has no tables: the reproduction pages show
    their results with this instead (``IPython.display.HTML(html_table(...))``).
    """
    header = list(header)
    if not header:
        raise ValueError("html_table: expected at least one column name, got none")
    body = []
    for row in rows:
        row = list(row)
        if len(row) > len(header):
            raise ValueError(f"html_table: expected at most {len(header)} cells a row, got {len(row)}: {row!r}")
        row += [""] * (len(header) - len(row))
        body.append("<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>")
    out = ['<div class="rnnbook-table-wrap"><table class="rnnbook-results">']
    if caption:
        out.append(f"<caption>{_cell_html(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_cell_html(h)}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>" + "".join(body) + "</tbody></table>")
    if note:
        out.append(f'<p class="rnnbook-table-note">{_cell_html(note)}</p>')
    out.append("</div>")
    return "\n".join(out)


def show_table(header, rows, caption: str | None = None, note: str | None = None):
    """``IPython.display.HTML`` of :func:`html_table`: the last expression of a table cell."""
    from IPython.display import HTML

    return HTML(html_table(header, rows, caption, note))
