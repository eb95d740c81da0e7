"""Synthetic recordings with known beats: normal ECG (neurokit2's ECGSYN) plus wide ectopic beats.

Used by the tests and the measurement scripts, where the right answer must be known exactly:
every beat's position and whether it is a normal (``N``) or an inserted ventricular-like
ectopic beat (``V``: a wide, inverted QRS with a discordant T wave and no P wave, optionally
premature, followed by the compensatory pause).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecg_anomaly.recordings.annotations import Annotations
from ecg_anomaly.recordings.io import Recording


@dataclass(frozen=True, eq=False)
class SyntheticRecording:
    """A simulated signal and its true beats.

    Attributes:
        signal: Samples (mV-like units), float64.
        fs: Sampling rate in Hz.
        peaks: Sample of each beat's main QRS deflection (int64).
        ectopic: True for each inserted ectopic beat.
    """

    signal: np.ndarray = field(repr=False)
    fs: float
    peaks: np.ndarray = field(repr=False)
    ectopic: np.ndarray = field(repr=False)

    @property
    def annotations(self) -> Annotations:
        """The true beats as annotations: ``N`` for normal beats, ``V`` for ectopic ones."""
        return Annotations(self.peaks, np.where(self.ectopic, "V", "N"))

    def recording(self) -> Recording:
        """The signal as a :class:`Recording` with its true annotations."""
        return Recording(self.signal, self.fs, "sim", ("sim",), annotations=self.annotations)


def _gauss(t: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-((t - mu) ** 2) / (2 * sigma**2))


def ectopic_waveform(t: np.ndarray, amplitude: float) -> np.ndarray:
    """A wide ventricular-like complex around ``t = 0`` (seconds): inverted QRS, upright T."""
    qrs = 0.35 * _gauss(t, -0.05, 0.025) - 1.2 * _gauss(t, 0.01, 0.04)
    return amplitude * (qrs + 0.45 * _gauss(t, 0.28, 0.07))


def simulate_recording(
    duration_s: float = 120.0,
    fs: float = 360.0,
    heart_rate: float = 70.0,
    ectopic_fraction: float = 0.0,
    prematurity: float = 0.0,
    noise: float = 0.01,
    seed: int = 0,
) -> SyntheticRecording:
    """Simulate an ECG and replace a fraction of its beats by wide ectopic beats.

    Args:
        duration_s: Length in seconds.
        fs: Sampling rate in Hz.
        heart_rate: Mean heart rate of the normal rhythm (beats per minute).
        ectopic_fraction: Fraction of beats (not the first or last two) replaced by ectopic
            beats, drawn at random.
        prematurity: How early each ectopic beat comes, as a fraction of the RR interval
            before it (0: on time; 0.25: a quarter of an RR early).
        noise: Standard deviation of the white noise neurokit2 adds (mV).
        seed: Random seed (the same seed gives the same recording).

    Returns:
        The :class:`SyntheticRecording`.
    """
    import neurokit2 as nk

    rng = np.random.default_rng(seed)
    signal = np.asarray(
        nk.ecg_simulate(
            duration=duration_s + 4,
            sampling_rate=int(fs),
            heart_rate=heart_rate,
            heart_rate_std=2,
            noise=noise,
            random_state=seed,
        ),
        dtype=np.float64,
    )
    _, info = nk.ecg_peaks(signal, sampling_rate=int(fs))
    peaks = _snap_to_max(signal, np.asarray(info["ECG_R_Peaks"], dtype=np.int64), int(0.05 * fs))
    # Start and end between two beats, so that no beat is cut in half at either end.
    mids = (peaks[:-1] + peaks[1:]) // 2
    start = mids[0]
    stop = mids[mids <= start + duration_s * fs][-1]
    signal = signal[start:stop]
    peaks = peaks[(peaks >= start) & (peaks < stop)] - start
    amplitude = float(np.median(signal[peaks]) - np.median(signal))
    ectopic = np.zeros(len(peaks), dtype=bool)
    candidates = np.arange(2, len(peaks) - 2)
    n_ectopic = round(ectopic_fraction * len(peaks))
    ectopic[rng.choice(candidates, size=min(n_ectopic, len(candidates)), replace=False)] = True
    t_axis = np.arange(len(signal)) / fs
    for i in np.flatnonzero(ectopic):
        rr_prev = peaks[i] - peaks[i - 1]
        start = peaks[i] - rr_prev // 2
        stop = peaks[i] + (peaks[i + 1] - peaks[i]) // 2
        centre = peaks[i] - round(prematurity * rr_prev)
        seg = slice(start, stop)
        baseline = np.linspace(signal[start], signal[stop - 1], stop - start)
        new = baseline + ectopic_waveform(
            t_axis[seg] - centre / fs, amplitude * rng.uniform(0.95, 1.05)
        )
        taper = np.clip(
            np.minimum(np.arange(stop - start), np.arange(stop - start)[::-1]) / (0.03 * fs), 0, 1
        )
        signal[seg] = signal[seg] * (1 - taper) + new * taper
        signal[seg] += rng.normal(0.0, noise, stop - start) * taper
        peaks[i] = start + int(np.argmax(np.abs(new - baseline)))
    return SyntheticRecording(signal, float(fs), peaks, ectopic)


def add_muscle_noise(
    signal: np.ndarray,
    fs: float,
    start_s: float,
    duration_s: float,
    amplitude: float,
    seed: int = 0,
) -> np.ndarray:
    """A copy of ``signal`` with a burst of muscle-like noise (band-limited above 15 Hz).

    Args:
        signal: The samples.
        fs: Sampling rate in Hz.
        start_s: Where the burst starts, in seconds.
        duration_s: Its length in seconds.
        amplitude: Standard deviation of the noise, in the signal's units.
        seed: Random seed.
    """
    from scipy.signal import butter, sosfiltfilt

    rng = np.random.default_rng(seed)
    a, b = int(start_s * fs), int((start_s + duration_s) * fs)
    burst = sosfiltfilt(butter(4, 15.0, "highpass", fs=fs, output="sos"), rng.normal(size=b - a))
    burst *= amplitude / burst.std()
    out = np.array(signal, dtype=np.float64)
    out[a:b] += burst
    return out


def _snap_to_max(signal: np.ndarray, peaks: np.ndarray, half: int) -> np.ndarray:
    out = peaks.copy()
    for k, p in enumerate(peaks):
        lo, hi = max(p - half, 0), min(p + half + 1, len(signal))
        out[k] = lo + int(np.argmax(signal[lo:hi]))
    return out
