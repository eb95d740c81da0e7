"""R-peak detection: record 100 against its annotations, resampling, polarity, edges, noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from ecg_anomaly.errors import DataFormatError
from ecg_anomaly.recordings.annotations import Annotations
from ecg_anomaly.recordings.matching import match_beats
from ecg_anomaly.recordings.peaks import detect_peaks, run_detector, snap, vote
from ecg_anomaly.recordings.synthetic import add_muscle_noise, simulate_recording


def test_record100_sensitivity_and_positive_predictivity(beats100):
    m = beats100.detection
    assert m.tp + m.fn == 2273
    assert m.sensitivity >= 0.998 and m.ppv >= 0.998


def test_annotations_on_the_qrs_onset_still_match(beats100, record100):
    # Annotators sometimes mark the QRS onset, ~50 ms before the peak: within the 150 ms window.
    onset = record100.annotations.beats().sample - int(0.05 * record100.fs)
    all_peaks = np.concatenate([beats100.sample, [649_991]])  # the table drops the last beat
    m = match_beats(all_peaks, onset, record100.fs)
    assert m.sensitivity >= 0.998 and m.ppv >= 0.998


@pytest.mark.parametrize("fs", [128, 250])
def test_record100_resampled_gives_the_same_beats(record100, beats100, fs):
    signal = resample_poly(record100.signal, fs, 360)
    reference = record100.annotations.beats().rescaled(fs / 360)
    peaks = detect_peaks(signal, fs)
    m = match_beats(peaks.sample, reference.sample, fs)
    assert m.sensitivity >= 0.995 and m.ppv >= 0.995
    # The same beats as at 360 Hz (beats100 leaves out the last beat, whose window is cut).
    same = match_beats(peaks.sample[:-1] * 360 / fs, beats100.sample, 360)
    assert same.tp >= 0.995 * len(beats100) and same.fp + same.fn <= 0.01 * len(beats100)


def test_polarity_of_a_flipped_signal(record100):
    part = record100.signal[: 60 * 360]
    up, down = detect_peaks(part, 360), detect_peaks(-part, 360)
    assert up.polarity == 1 and down.polarity == -1
    # The R peak is the maximum of the signal and the minimum of its negation: the same samples.
    np.testing.assert_array_equal(up.sample, down.sample)


def test_first_and_last_beat_at_the_very_edges(record100):
    # Record 100's last beat is 9 samples (25 ms) before its end; its first at sample 77.
    tail = record100.signal[-30 * 360 :]
    assert detect_peaks(tail, 360).sample[-1] == len(tail) - 9
    head = record100.signal[67 : 67 + 30 * 360]  # the first beat 10 samples (28 ms) in
    assert detect_peaks(head, 360).sample[0] == 10


def test_vote_keeps_beats_found_by_two_detectors():
    a = np.array([100, 300, 500, 700])
    b = np.array([105, 298, 900])
    c = np.array([503, 1100])
    samples, votes = vote([a, b, c], fs=100.0)
    assert samples.tolist() == [102, 299, 501]  # 700, 900 and 1100 were seen by one only
    assert votes.tolist() == [2, 2, 2]
    assert vote([a, b, c], fs=100.0, min_votes=1)[0].tolist() == [102, 299, 501, 700, 900, 1100]


def test_snap_moves_late_and_early_marks_to_the_peak(pvc_rich):
    peaks = detect_peaks(pvc_rich.signal, pvc_rich.fs)
    truth = pvc_rich.peaks
    for offset_s in (0.06, -0.05):
        moved = truth + int(offset_s * pvc_rich.fs)
        snapped = snap(peaks.clean, moved, pvc_rich.fs, polarity=1)
        # Normal beats to their R peak, the inverted ectopic beats to their negative peak.
        assert np.abs(snapped - truth).max() <= 2


def test_ectopic_rich_recording_needs_the_vote(pvc_rich):
    import neurokit2 as nk

    fs, truth = pvc_rich.fs, pvc_rich.peaks
    clean = nk.ecg_clean(pvc_rich.signal, sampling_rate=int(fs))
    wavelet = match_beats(run_detector(clean, fs, "kalidas2017"), truth, fs)
    assert wavelet.sensitivity < 0.9  # the wavelet detector alone misses the wide beats
    m = match_beats(detect_peaks(pvc_rich.signal, fs).sample, truth, fs)
    assert m.sensitivity >= 0.995 and m.ppv >= 0.995


def test_muscle_noise_at_128hz_adds_no_false_beats():
    import neurokit2 as nk

    sim = simulate_recording(120.0, 128.0, seed=1)
    noisy = add_muscle_noise(sim.signal, 128.0, start_s=40.0, duration_s=30.0, amplitude=0.4)
    clean = nk.ecg_clean(noisy, sampling_rate=128)
    energy = match_beats(run_detector(clean, 128.0, "manikandan2012"), sim.peaks, 128.0)
    assert energy.fp >= 5  # the Shannon-energy detector alone fires in the noise
    m = match_beats(detect_peaks(noisy, 128.0).sample, sim.peaks, 128.0)
    assert m.fp <= 1 and m.sensitivity >= 0.99


def test_flat_signal_has_no_beats_and_a_too_short_one_is_refused():
    peaks = detect_peaks(np.zeros(2000), 200.0)
    assert len(peaks) == 0 and peaks.polarity == 1
    with pytest.raises(DataFormatError, match=r"150 samples long \(0.75 s at 200 Hz\)"):
        detect_peaks(np.zeros(150), 200.0)


def test_annotation_rescaling_matches_resampling():
    ann = Annotations(np.array([0, 360, 720]), np.array(["N", "N", "V"]))
    assert ann.rescaled(250 / 360).sample.tolist() == [0, 250, 500]


def test_refine_finds_the_vertex_between_samples():
    from ecg_anomaly.recordings.peaks import refine

    x = np.arange(20, dtype=float)
    parabola = -((x - 7.3) ** 2)
    assert refine(parabola, np.array([7]))[0] == pytest.approx(7.3)
    assert refine(parabola, np.array([0, 19])).tolist() == [0.0, 19.0]  # edges stay
    assert refine(np.zeros(20), np.array([5]))[0] == 5.0  # flat: no vertex


@pytest.mark.parametrize("fs", [128, 250])
def test_beats_cut_at_a_lower_rate_keep_their_shape(record100, beats100, fs):
    from ecg_anomaly.recordings.extract import extract_beats
    from ecg_anomaly.recordings.io import recording_from_array

    low = extract_beats(recording_from_array(resample_poly(record100.signal, fs, 360), fs))
    pairs = match_beats(low.sample * 360 / fs, beats100.sample, 360).pairs
    a, b = low.x[pairs[:, 0]], beats100.x[pairs[:, 1]]
    r = (a * b).sum(1) / (a.shape[1] - 1)  # correlation of z-normalised beats
    assert len(pairs) >= 0.995 * len(beats100)
    assert np.median(r) >= 0.99 and r.min() >= 0.95
