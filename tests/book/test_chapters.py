"""Structure of the book's sources: every chapter page carries what the course promises.

Each ``chapters/<folder>/index.md`` must be a MyST notebook (jupytext header, python3 kernel) listed in
``_toc.yml``, with learning goals, equations, code cells that import the reference package (and never define a
copy of its layers), at least one plotting cell, a summary, a ``{download}`` link to its exercise notebook and at
least one ``{cite}`` of a key in ``references.bib``. Fast (text only); the browser test checks the built site.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["01_feedforward", "02_rnn", "03_bptt", "04_gradients", "05_lstm", "06_gru", "07_applications",
            "08_attention", "09_transformers", "10_linear_rnns"]
CODE_CELL = re.compile(r"```\{code-cell\} ipython3\n(.*?)```", re.S)


def _bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M))


@pytest.fixture(scope="module")
def toc() -> str:
    return (ROOT / "_toc.yml").read_text()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_every_part(chapter, toc):
    page = ROOT / "chapters" / chapter / "index.md"
    text = page.read_text()
    assert text.startswith("---\njupytext:\n  text_representation:\n    format_name: myst\n"), "jupytext header"
    assert "kernelspec:\n  name: python3" in text
    assert f"file: chapters/{chapter}/index" in toc, "chapter not in _toc.yml"
    assert re.search(r":::\{admonition\} Learning goals", text), "learning goals"
    assert re.search(r"^## Summary$", text, re.M), "summary section"
    assert re.search(r"\$\$|^\\begin\{", text, re.M), "display equations"
    assert "{download}`exercises notebook <exercises.ipynb>`" in text, "exercise link"

    cells = CODE_CELL.findall(text)
    assert len(cells) >= 3, "code cells"
    code = "\n".join(cells)
    assert re.search(r"^\s*from rnnbook(\.\w+)* import|^\s*import rnnbook", code, re.M), "imports the reference"
    assert re.search(r"plt\.(subplots|figure)|plot_\w+\(", code), "a figure computed at build time"
    assert "%matplotlib inline" in cells[0], "inline backend (make book sets MPLBACKEND=Agg)"
    # the reference is imported, never copied: no page defines the package's own public functions
    import rnnbook.numpy

    defined = set(re.findall(r"^def (\w+)", code, re.M))
    copied = defined & set(rnnbook.numpy.__all__ if hasattr(rnnbook.numpy, "__all__") else dir(rnnbook.numpy))
    assert not copied, f"page re-defines reference functions {sorted(copied)}"

    keys = {k.strip() for group in re.findall(r"\{cite\}`([^`]+)`", text) for k in group.split(",")}
    assert keys, "cites at least one paper"
    unknown = keys - _bib_keys()
    assert not unknown, f"citations missing from references.bib: {sorted(unknown)}"


def test_exercise_notebooks_are_not_built_as_pages():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert config["execute"]["execute_notebooks"] == "cache"


def test_mathjax_is_served_by_the_site_not_a_cdn():
    import yaml

    sphinx = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"]
    assert "build/mathjax" in sphinx["html_extra_path"]
    assert yaml.safe_load((ROOT / "_config.yml").read_text())["launch_buttons"]["thebe"] is False


REPRODUCTIONS = ["04_gradients/temporal_order", "05_lstm/adding_problem", "06_gru/music", "07_applications/charlm",
                 "07_applications/sunspots", "08_attention/g2p"]


@pytest.mark.parametrize("page", REPRODUCTIONS)
def test_reproduction_section_has_its_figure_its_tables_and_its_variant(page, toc):
    text = (ROOT / "chapters" / f"{page}.md").read_text()
    assert f"file: chapters/{page}" in toc, "section not in _toc.yml"
    assert text.startswith("---\njupytext:\n  text_representation:\n    format_name: myst\n"), "jupytext header"
    cells = CODE_CELL.findall(text)
    assert "%matplotlib inline" in cells[0], "without the inline backend (make book sets MPLBACKEND=Agg) no figure shows"
    code = "\n".join(cells)
    assert re.search(r"plot_\w+\(", code), "a figure computed at build time"
    assert "from rnnbook.experiments.tables import committed" in code, "reads the committed full-scale table"
    assert "**Model variant.**" in text and "**Comparison.**" in text
    assert re.search(r"^\(repro-[\w-]+\)=$", text, re.M), "a label the chapter can link to"
    keys = {k.strip() for group in re.findall(r"\{cite\}`([^`]+)`", text) for k in group.split(",")}
    assert keys, "cites the paper it reproduces with {cite}"
    assert not keys - _bib_keys(), f"citations missing from references.bib: {sorted(keys - _bib_keys())}"
    # the result tables are HTML (MyST-NB renders a Markdown output without tables) and their code is hidden
    assert "Markdown(" not in code, "a result table built as IPython.display.Markdown renders as raw text"
    for cell in cells:
        if "show_table(" in cell:
            assert cell.startswith(":tags: [remove-input]") or "tags: [remove-input]" in cell.split("---")[1], \
                "table-building code is shown"


def test_every_reproduction_section_is_tested_here(toc):
    sections = set(re.findall(r"file: chapters/(\d\d_\w+/(?!index)\w+)", toc))
    assert sections == set(REPRODUCTIONS)


def _notebook_exercises(chapter: str) -> list[tuple[int, str, str]]:
    """(number, title, first function or class defined) of each '## Exercise N: title' in the instructors'
    notebook solutions/<chapter>/exercises.ipynb, the source the student notebook is generated from."""
    import json

    nb = json.loads((ROOT / "solutions" / chapter / "exercises.ipynb").read_text())
    out, cur = [], None
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            m = re.match(r"## Exercise (\d+): (.*)", src)
            if m:
                cur = [int(m.group(1)), m.group(2).strip(), None]
                out.append(cur)
            elif src.startswith("## "):
                cur = None
        elif cur is not None and cur[2] is None:
            m = re.search(r"^(?:def|class) (\w+)", src, re.M)
            if m:
                cur[2] = m.group(1)
    return [tuple(e) for e in out]


EXERCISE_LISTS = CHAPTERS


@pytest.mark.parametrize("chapter", EXERCISE_LISTS)
def test_exercise_list_on_the_page_is_the_notebooks(chapter):
    """The page's '## Exercises' section lists, in order, each exercise of the notebook as
    'N. title: `function`', so a page cannot promise an exercise the notebook does not have."""
    text = (ROOT / "chapters" / chapter / "index.md").read_text()
    section = re.search(r"^## Exercises\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "no '## Exercises' section"
    listed = [(int(n), title.strip(), name) for n, title, name in
              re.findall(r"^(\d+)\. (.*): `(\w+)`$", section.group(1), re.M)]
    expected = _notebook_exercises(chapter)
    assert expected, f"solutions/{chapter}/exercises.ipynb has no '## Exercise N: title' headings"
    assert all(name for *_, name in expected), f"an exercise defines no function or class: {expected}"
    assert listed == expected, f"page lists {listed}, notebook has {expected}"


@pytest.mark.parametrize("page", [f"chapters/{c}/index.md" for c in CHAPTERS]
                         + [f"chapters/{p}.md" for p in REPRODUCTIONS] + ["intro.md"])
def test_every_page_links_the_notation_page(page):
    assert "{ref}`notation`" in (ROOT / page).read_text()


def test_notation_page_is_in_the_toc_and_has_its_label(toc):
    assert "file: notation" in toc
    assert (ROOT / "notation.md").read_text().startswith("(notation)=\n# Notation")


PAGES = [f"chapters/{c}/index.md" for c in CHAPTERS] + [f"chapters/{p}.md" for p in REPRODUCTIONS]
OWN_PAGES = PAGES  # every chapter page and reproduction section


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_as_a_notebook(page):
    """MyST-NB can read every cell's options (a bad YAML caption stops the whole build)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    read_myst_markdown_notebook((ROOT / page).read_text())


@pytest.mark.parametrize("page", OWN_PAGES)
def test_every_drawing_cell_is_a_captioned_named_figure_with_alt_text(page):
    from myst_nb.core.read import read_myst_markdown_notebook

    nb = read_myst_markdown_notebook((ROOT / page).read_text())
    for cell in nb.cells:
        if cell.cell_type != "code" or not re.search(r"plt\.show\(|plot_\w+\(|diagrams import|subplots\(", cell.source):
            continue
        opts = cell.metadata.get("mystnb", {})
        fig, img = opts.get("figure", {}), opts.get("image", {})
        head = cell.source.splitlines()[-1][:60]
        assert len(fig.get("caption", "")) > 40, f"figure without a caption that says what to see: {head}"
        assert re.fullmatch(r"fig-[\w-]+", fig.get("name", "")), f"figure without a name to number it: {head}"
        assert len(img.get("alt", "")) > 30, f"figure without alt text: {head}"
