"""The built book in a real headless Chromium, with no internet.

Serves ``_build/html`` (``make book``) over http.server on 127.0.0.1 and visits every page with Chromium, whose
resolver is told that every other host does not exist, so a page that needs a CDN breaks here as it would offline.
On every page it checks that

* MathJax ran and typeset every formula: no ``$$``, ``\\(`` or ``\\[`` left in the visible text outside code,
  and ``mjx-container`` elements present where the page has maths;
* every ``img`` loaded (``naturalWidth > 0``), and every chapter page and reproduction section has a
  figure made by its code;
* every internal link resolves: HTTP 200, and the ``#anchor`` exists in the target page;
* nothing was loaded from anywhere but the local server;
* no table is left as raw Markdown text (``|---|`` or ``|—|`` in the visible text: MyST-NB renders a Markdown
  output as CommonMark, which has no tables);
* every image in a cell's output is a numbered figure with a caption, and every image in the article has alt
  text that describes it (not empty, not a file name);
* the page is no wider than the window and the article no wider than its column (long equations, code and
  tables scroll inside their own boxes);

and that the search page finds a chapter-5 page for "forget". Screenshots go to ``_build/screenshots/``.
Skips with a reason when Chromium, chromedriver or the built site is missing (under CI=true a skip fails).
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# RNNBOOK_SITE: a site built elsewhere (jupyter-book build --path-output DIR puts it in DIR/_build/html)
SITE = Path(os.environ["RNNBOOK_SITE"]) if os.environ.get("RNNBOOK_SITE") else ROOT / "_build" / "html"
SHOTS = SITE.parent / "screenshots"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "a11y", "adaptors", "input", "output",
             "sre", "ui"}

# Visible text outside code blocks: code may legitimately contain "$" or "\(".
_PROSE_TEXT_JS = """
const clone = document.querySelector('main, article, .bd-article, body').cloneNode(true);
clone.querySelectorAll('pre, code, .highlight, .cell_input, mjx-container, script, style').forEach(e => e.remove());
return clone.innerText;
"""
_WAIT_MATHJAX_JS = """
const done = arguments[arguments.length - 1];
const start = Date.now();
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done('ok'), e => done('error: ' + e));
  } else if (Date.now() - start > 15000) {
    done(document.querySelector('.math') ? 'MathJax never loaded' : 'no maths');
  } else { setTimeout(poll, 100); }
})();
"""


# |---|, | --- |, |:--|, and the em-dash form |—| that a typographer's quotes turn "---" into
_RAW_TABLE = re.compile(r"\|\s*:?(?:-{3,}|—+)\s*:?\s*\|")

_FIGURES_JS = """
const article = document.querySelector('main, article, .bd-article, body');
const out = {uncaptioned: [], unnumbered: [], badAlt: []};
article.querySelectorAll('.cell_output img').forEach(img => {
  const fig = img.closest('figure');
  const cap = fig && fig.querySelector('figcaption');
  if (!cap || !cap.innerText.trim()) { out.uncaptioned.push(img.getAttribute('src')); }
  else if (!cap.querySelector('.caption-number')) { out.unnumbered.push(cap.innerText.slice(0, 60)); }
});
article.querySelectorAll('img').forEach(img => {
  const alt = (img.getAttribute('alt') || '').trim();
  if (alt.length < 15 || /\\.(png|svg|jpe?g|gif)$/i.test(alt) || alt.includes('_images/')) {
    out.badAlt.push((img.getAttribute('src') || '') + ' alt=' + JSON.stringify(alt));
  }
});
return out;
"""

_WIDTH_JS = """
const doc = document.documentElement;
const col = document.querySelector('.bd-article, article, main');
const wide = [];
if (col) {
  const right = col.getBoundingClientRect().right;
  col.querySelectorAll('p, li, table, figure, img, pre, div.math, mjx-container, .cell_output, .highlight').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > right + 2) { wide.push(e.tagName.toLowerCase() + ' ' + (e.className || '') + ' by ' + Math.round(r.right - right) + ' px'); }
  });
}
return {page: doc.scrollWidth - doc.clientWidth, column: col ? col.scrollWidth - col.clientWidth : 0, wide: wide.slice(0, 5)};
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _pages() -> list[Path]:
    out = []
    for p in sorted(SITE.rglob("*.html")):
        rel = p.relative_to(SITE)
        if rel.parts[0] in SKIP_DIRS:
            continue
        out.append(rel)
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site at {SITE} (run `make book` first)")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    chromium = _chromium()
    if chromium is None or not os.path.exists(CHROMEDRIVER):
        pytest.skip("Chromium or /usr/bin/chromedriver missing (apt-get install chromium chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rnnbook-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}",
                # no internet: every host but the local server fails to resolve
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> tuple[int, frozenset[str]]:
    """HTTP status of a local URL and the ids/names of its elements (for #anchors)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, frozenset()
    ids = _Ids()
    if url.split("?")[0].endswith((".html", "/")):
        ids.feed(body.decode("utf-8", "replace"))
    return status, frozenset(ids.ids)


def _check_page(driver, base: str, rel: Path) -> list[str]:
    url = urllib.parse.urljoin(base, rel.as_posix())
    problems = []
    driver.get(url)
    mj = driver.execute_async_script(_WAIT_MATHJAX_JS)
    if mj not in ("ok", "no maths"):
        problems.append(f"MathJax: {mj}")
    # MathJax typesets asynchronously after startup; give pending typesetting a moment
    time.sleep(0.2)

    text = driver.execute_script(_PROSE_TEXT_JS)
    for delim in ("$$", "\\(", "\\[", "\\begin{"):
        if delim in text:
            i = text.index(delim)
            problems.append(f"raw TeX {delim!r} left in the visible text: …{text[max(0, i - 40):i + 40]!r}…")
    raw = _RAW_TABLE.search(text)
    if raw:
        problems.append(f"a table left as raw Markdown text: …{text[max(0, raw.start() - 60):raw.end() + 20]!r}…")
    figs = driver.execute_script(_FIGURES_JS)
    problems += [f"image in a cell output without a figure caption: {src}" for src in figs["uncaptioned"]]
    problems += [f"figure caption without a number: {cap!r}" for cap in figs["unnumbered"]]
    problems += [f"image without alt text that describes it: {a}" for a in figs["badAlt"]]
    width = driver.execute_script(_WIDTH_JS)
    if width["page"] > 1:
        problems.append(f"page wider than the window by {width['page']} px")
    if width["column"] > 2 or width["wide"]:
        problems.append(f"content wider than its column by {width['column']} px: {width['wide']}")
    n_math = driver.execute_script("return document.querySelectorAll('.math').length")
    n_mjx = driver.execute_script("return document.querySelectorAll('mjx-container').length")
    if n_math and n_mjx < n_math:
        problems.append(f"{n_math} formulas but only {n_mjx} typeset (mjx-container)")

    if rel.parts[0] == "chapters":  # chapter pages and their reproduction sections
        n_fig = driver.execute_script("return document.querySelectorAll('.cell_output img').length")
        if n_fig < 1:
            problems.append("chapter page has no figure computed at build time (no image in a cell output)")

    broken = driver.execute_script(
        "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    problems += [f"image did not load: {src}" for src in broken]

    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name))")
    problems += [f"fetched from outside the site: {r}" for r in resources
                 if not r.startswith(base) and not r.startswith(("data:", "blob:"))]

    hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue  # external links (e.g. the launch buttons) are not fetched on page load
        target, _, anchor = href.partition("#")
        status, ids = _fetch(target)
        if status != 200:
            problems.append(f"link {href}: HTTP {status}")
        elif anchor and urllib.parse.unquote(anchor) not in ids:
            problems.append(f"link {href}: no element with id {anchor!r} in the target page")

    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / (rel.as_posix().replace("/", "__").removesuffix(".html") + ".png")))
    return problems


def test_every_page_typesets_loads_and_links(server, browser):
    pages = _pages()
    names = {p.as_posix() for p in pages}
    expected = {"intro.html", "notation.html", "references.html"} | {f"chapters/{c}/index.html" for c in (
        "01_feedforward", "02_rnn", "03_bptt", "04_gradients", "05_lstm", "06_gru", "07_applications",
        "08_attention", "09_transformers", "10_linear_rnns")}
    assert expected <= names, f"pages missing from the build: {sorted(expected - names)}"
    failures = {}
    for rel in pages:
        problems = _check_page(browser, server, rel)
        if problems:
            failures[rel.as_posix()] = problems
    assert not failures, "\n".join(f"{page}:\n  " + "\n  ".join(p) for page, p in failures.items())


def test_maths_is_typeset_on_a_chapter(server, browser):
    """A page known to carry maths (chapter 2's recurrence) has typeset formulas, not just no raw TeX."""
    browser.get(urllib.parse.urljoin(server, "chapters/02_rnn/index.html"))
    assert browser.execute_async_script(_WAIT_MATHJAX_JS) == "ok"
    assert browser.execute_script("return document.querySelectorAll('mjx-container').length") >= 5


def test_search_finds_chapter_5(server, browser):
    browser.get(urllib.parse.urljoin(server, "search.html?q=forget"))
    deadline = time.time() + 30
    links: list[str] = []
    while time.time() < deadline:
        links = browser.execute_script(
            "return [...document.querySelectorAll('#search-results a, ul.search a')].map(a => a.href)")
        if any("chapters/05_lstm/" in h for h in links):
            break
        time.sleep(0.25)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "search_forget.png"))
    assert any("chapters/05_lstm/" in h for h in links), f"search for 'forget' found no chapter-5 page: {links}"
