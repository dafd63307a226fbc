"""rnnbook.audio: a piano roll synthesised to 16-bit samples and a WAV file."""

import io
import wave

import numpy as np
import pytest

from rnnbook.audio import audio_html, key_frequency, synthesize, wav_bytes, write_wav

K = 88


def test_key_frequencies_are_the_piano_tuning():
    assert key_frequency(48) == pytest.approx(440.0)       # A4
    assert key_frequency(0) == pytest.approx(27.5)         # A0
    assert key_frequency(39) == pytest.approx(261.6256, rel=1e-6)  # C4


@pytest.mark.parametrize("T, step_seconds, rate", [(1, 0.25, 8000), (7, 0.4, 11025), (3, 0.1, 16000)])
def test_length_is_steps_times_samples_per_step(T, step_seconds, rate):
    roll = np.zeros((T, K), dtype=np.uint8)
    roll[:, 40] = 1
    x = synthesize(roll, step_seconds=step_seconds, sample_rate=rate)
    assert x.dtype == np.int16 and x.shape == (T * int(round(step_seconds * rate)),)


def test_a_held_note_peaks_at_its_frequency():
    rate, k = 11025, 48                                    # A4, 440 Hz
    roll = np.zeros((10, K), dtype=np.uint8)
    roll[:, k] = 1
    x = synthesize(roll, step_seconds=0.4, sample_rate=rate).astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    assert abs(freqs[np.argmax(spec)] - 440.0) <= rate / len(x)  # within one bin
    # the harmonics are weaker than the fundamental, and the second one is there
    at = lambda f: spec[np.argmin(np.abs(freqs - f))]
    assert at(880.0) < at(440.0) and at(880.0) > 100 * at(660.0)


def test_a_chord_holds_each_of_its_notes():
    rate = 11025
    roll = np.zeros((10, K), dtype=np.uint8)
    roll[:, [39, 43, 46]] = 1                              # C4, E4, G4
    x = synthesize(roll, sample_rate=rate, harmonics=(1.0,)).astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    top3 = np.sort(freqs[np.argsort(spec)[-30:]])
    for k in (39, 43, 46):
        assert np.min(np.abs(top3 - key_frequency(k))) <= rate / len(x)


def test_an_empty_roll_is_silence():
    x = synthesize(np.zeros((5, K), dtype=np.uint8), step_seconds=0.2, sample_rate=8000)
    assert x.shape == (5 * 1600,) and not np.any(x)


def test_values_fit_int16_even_for_a_full_roll():
    x = synthesize(np.ones((4, K), dtype=np.uint8), step_seconds=0.1, sample_rate=8000, gain=1.0)
    assert x.dtype == np.int16 and np.abs(x.astype(np.int64)).max() <= 32767
    assert np.abs(x.astype(np.int64)).max() >= 32000      # normalised to the gain, not clipped


def test_a_released_key_stops_sounding():
    roll = np.zeros((4, K), dtype=np.uint8)
    roll[:2, 48] = 1
    S = 4410
    x = synthesize(roll, step_seconds=0.4, sample_rate=11025)
    assert np.any(x[:2 * S]) and not np.any(x[2 * S:])


def test_wav_round_trip(tmp_path):
    roll = np.zeros((3, K), dtype=np.uint8)
    roll[1, 50] = 1
    x = synthesize(roll, step_seconds=0.2, sample_rate=8000)
    path = write_wav(str(tmp_path / "a.wav"), x, 8000)
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 8000, len(x))
        back = np.frombuffer(w.readframes(len(x)), dtype="<i2")
    np.testing.assert_array_equal(back, x)
    html = audio_html(x, 8000, label="one note")
    assert html.count("<audio controls") == 1 and 'src="data:audio/wav;base64,' in html


def test_bad_input_is_one_line_error():
    with pytest.raises(ValueError, match=r"roll: expected a piano roll of shape \(T, 88\)"):
        synthesize(np.zeros((4, 12)))
    with pytest.raises(ValueError, match="step_seconds"):
        synthesize(np.zeros((4, K)), step_seconds=0)
    with pytest.raises(ValueError, match="samples: expected a 1-D int16"):
        wav_bytes(np.zeros(10))
