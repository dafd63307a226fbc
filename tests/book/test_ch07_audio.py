"""Chapter 7's generated chorale plays on the built page, offline: the <audio> elements' WAV sources are in the page
itself (data URIs), decode as the synthesiser's output, and a headless Chromium loads and plays them."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import os
import re
import shutil
import tempfile
import threading
import wave
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ["RNNBOOK_SITE"]) if os.environ.get("RNNBOOK_SITE") else ROOT / "_build" / "html"
PAGE = SITE / "chapters" / "07_applications" / "index.html"
CHROMEDRIVER = "/usr/bin/chromedriver"
AUDIO = re.compile(r'<audio controls preload="metadata" src="data:audio/wav;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def page_html() -> str:
    if not PAGE.exists():
        pytest.skip(f"the built site is missing ({PAGE}); run make book")
    return PAGE.read_text(encoding="utf-8")


def test_the_page_embeds_two_wav_players_of_the_chorales(page_html):
    clips = AUDIO.findall(page_html)
    assert len(clips) == 2, "Bach's continuation and the model's"
    for clip in clips:
        with wave.open(io.BytesIO(base64.b64decode(clip))) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
            assert w.getnframes() == 48 * int(round(0.35 * 8000))  # 48 quarter notes of 0.35 s
            frames = w.readframes(w.getnframes())
        assert max(frames) > 0  # not silence


def _chromium():
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)


def test_the_players_load_and_play_in_a_browser_offline(page_html):
    chromium = _chromium()
    if chromium is None or not os.path.exists(CHROMEDRIVER):
        pytest.skip("Chromium or /usr/bin/chromedriver missing")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="rnnbook-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    try:
        driver.get(f"http://127.0.0.1:{httpd.server_port}/chapters/07_applications/index.html")
        states = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const players = [...document.querySelectorAll('audio')];
            Promise.all(players.map(a => new Promise(resolve => {
                a.muted = true;
                a.addEventListener('error', () => resolve({error: a.error && a.error.code}));
                a.addEventListener('loadedmetadata', () => {
                    a.play().then(() => setTimeout(() => resolve({duration: a.duration, time: a.currentTime,
                                                                  paused: a.paused}), 700),
                                  e => resolve({duration: a.duration, playError: String(e)}));
                });
                a.load();
            }))).then(done);
        """)
    finally:
        driver.quit()
        httpd.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    assert len(states) == 2, states
    for s in states:
        assert "error" not in s and "playError" not in s, s
        assert abs(s["duration"] - 48 * 0.35) < 0.01, s
        assert s["time"] > 0.1 and not s["paused"], s
