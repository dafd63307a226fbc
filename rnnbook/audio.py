"""A piano roll made audible: additive synthesis with NumPy, 16-bit mono WAV with the standard library.

Shape letters: T time steps, K = 88 keys (column k is MIDI pitch 21 + k, A0 .. C8), S samples per step.

Key k sounds at f_k = 440 · 2^((21 + k - 69) / 12) Hz. A run of consecutive steps in which a key is on is one
note: it starts once (no re-attack while held) and sounds the tone

    x(t) = env(t) · Σ_j a_j sin(2π j f_k t),   j = 1, 2, ...   (harmonics below the Nyquist frequency only)

with ``env`` rising linearly over ``attack`` seconds, decaying as exp(-t / ``decay``) and falling linearly to
zero over the last ``release`` seconds of the note. The notes are summed, and the sum is scaled so that its
largest absolute value is ``gain`` · 32767 (an empty roll gives exact silence), then rounded to int16.

The page plays the result from a data URI (``audio_html``), so the site needs no separate audio file and
works offline.
"""

from __future__ import annotations

import base64
import io
import wave

import numpy as np

__all__ = ["LOWEST_MIDI", "key_frequency", "synthesize", "wav_bytes", "write_wav", "audio_html"]

LOWEST_MIDI = 21
N_KEYS = 88


def key_frequency(k) -> np.ndarray:
    """Frequency in Hz of piano-roll column ``k`` (0 = A0 = 27.5 Hz, 48 = A4 = 440 Hz), for an int or array."""
    return 440.0 * 2.0 ** ((LOWEST_MIDI + np.asarray(k, dtype=np.float64) - 69) / 12)


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop), ...] of the runs of True in the 1-D bool array ``on`` (stop exclusive)."""
    d = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def synthesize(roll: np.ndarray, step_seconds: float = 0.4, sample_rate: int = 11025,
               harmonics=(1.0, 0.5, 0.25, 0.125), attack: float = 0.01, decay: float = 1.5,
               release: float = 0.03, gain: float = 0.8) -> np.ndarray:
    """Samples (T·S,) int16 of the piano roll ``roll`` (T, K), S = round(step_seconds · sample_rate)."""
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != N_KEYS:
        raise ValueError(f"roll: expected a piano roll of shape (T, {N_KEYS}), got {roll.shape}")
    if int(sample_rate) != sample_rate or sample_rate < 1000:
        raise ValueError(f"sample_rate: expected an integer >= 1000, got {sample_rate!r}")
    S = int(round(step_seconds * sample_rate))
    if not step_seconds > 0 or S < 1:
        raise ValueError(f"step_seconds: expected > 0 and at least one sample a step, got {step_seconds!r}")
    if not 0 < gain <= 1:
        raise ValueError(f"gain: expected 0 < gain <= 1, got {gain!r}")
    for name, v in (("attack", attack), ("decay", decay), ("release", release)):
        if not v > 0:
            raise ValueError(f"{name}: expected a positive number of seconds, got {v!r}")
    T = roll.shape[0]
    out = np.zeros(T * S)  # (T·S,)
    for k in np.flatnonzero((roll > 0).any(0)):
        f = float(key_frequency(k))
        for start, stop in _runs(roll[:, k] > 0):
            n = (stop - start) * S
            t = np.arange(n) / sample_rate  # seconds since the note began
            tone = sum(a * np.sin(2 * np.pi * j * f * t) for j, a in enumerate(harmonics, 1) if j * f < sample_rate / 2)
            env = np.minimum(1.0, t / attack) * np.exp(-t / decay) * np.minimum(1.0, (n - np.arange(n)) / (release * sample_rate))
            out[start * S:stop * S] += env * tone
    peak = np.abs(out).max() if out.size else 0.0
    if peak > 0:
        out *= gain * 32767 / peak
    return np.round(out).astype(np.int16)


def wav_bytes(samples: np.ndarray, sample_rate: int = 11025) -> bytes:
    """A mono 16-bit PCM WAV file (``wave`` module) holding the int16 ``samples`` (M,)."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"samples: expected a 1-D int16 array, got {samples.dtype} of shape {samples.shape}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def write_wav(path: str, samples: np.ndarray, sample_rate: int = 11025) -> str:
    """Write :func:`wav_bytes` to ``path``; returns the path."""
    with open(path, "wb") as fh:
        fh.write(wav_bytes(samples, sample_rate))
    return path


def audio_html(samples: np.ndarray, sample_rate: int = 11025, label: str = "") -> str:
    """An ``<audio controls>`` element playing ``samples`` from an embedded ``data:audio/wav;base64`` URI."""
    import html

    uri = "data:audio/wav;base64," + base64.b64encode(wav_bytes(samples, sample_rate)).decode("ascii")
    text = f'<figcaption>{html.escape(label)}</figcaption>' if label else ""
    return (f'<figure class="rnnbook-audio">{text}<audio controls preload="metadata" src="{uri}">'
            "Your browser cannot play this WAV file.</audio></figure>")
