"""R-peak detection: record 100, resampling, polarity, edges, noise, chunks, choosing beats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from ecg_anomaly.errors import DataFormatError
from ecg_anomaly.recordings import beat_choice, quality
from ecg_anomaly.recordings.annotations import Annotations
from ecg_anomaly.recordings.matching import match_beats
from ecg_anomaly.recordings.peaks import detect_peaks, run_detector, vote
from ecg_anomaly.recordings.qrs import refine, snap
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


@pytest.mark.parametrize("value", [0.0, -1.5])
def test_a_flat_line_is_refused_and_so_is_a_too_short_signal(value):
    with pytest.raises(DataFormatError, match=r"flat line: all 2000 samples \(10.0 s at 200 Hz\)"):
        detect_peaks(np.full(2000, value), 200.0)
    with pytest.raises(DataFormatError, match=r"150 samples long \(0.75 s at 200 Hz\)"):
        detect_peaks(np.zeros(150), 200.0)


def test_annotation_rescaling_matches_resampling():
    ann = Annotations(np.array([0, 360, 720]), np.array(["N", "N", "V"]))
    assert ann.rescaled(250 / 360).sample.tolist() == [0, 250, 500]


def test_refine_finds_the_vertex_between_samples():
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


# Choosing beats among candidates (beat_choice): hand-made candidates at 100 Hz, one beat a
# second, every agreed beat of strength 1 unless said otherwise, noise far below.


def _choose(extra_s, extra_votes, extra_strength, agreed_s=None):
    agreed_s = np.arange(0.0, 20.0, 1.0) if agreed_s is None else agreed_s
    s = np.round(np.concatenate([agreed_s, extra_s]) * 100).astype(np.int64)
    votes = np.concatenate([np.full(len(agreed_s), 3), extra_votes]).astype(np.int64)
    strength = np.concatenate([np.ones(len(agreed_s)), extra_strength])
    order = np.argsort(s, kind="stable")
    s, votes, strength = s[order], votes[order], strength[order]
    taken = beat_choice.choose_beats(s, votes, strength, np.full(len(s), 0.01), 100.0, 2)
    return (s[taken] / 100).tolist()


def test_search_back_finds_a_beat_no_detector_saw_in_a_long_gap():
    agreed = np.delete(np.arange(0.0, 20.0), 10)  # the beat at 10 s was missed: a 2 s gap
    assert 10.0 in _choose([10.0], [0], [0.3], agreed)  # 0.3 >= 0.25 x typical strength
    assert 10.0 not in _choose([10.0], [0], [0.2], agreed)  # too weak even for the search-back
    # Without a gap (the beat at 10 s is there) a strength-0.3 peak no detector saw stays out.
    assert 10.5 not in _choose([10.5], [0], [0.3])


def test_single_votes_need_a_share_of_the_typical_strength():
    assert 10.5 in _choose([10.5], [1], [0.45])  # >= 0.4: second pass
    assert 10.5 not in _choose([10.5], [1], [0.35])  # < 0.4, and no gap to search back


def test_a_weak_wave_next_to_a_beat_is_not_a_beat_but_a_strong_one_is():
    # 0.3 s after a beat: past the 0.25 s refractory period, inside the 0.36 s T-wave reach.
    assert 10.3 not in _choose([10.3], [2], [0.45])  # agreed, but < 0.5 x the beat: a T wave
    assert 10.3 in _choose([10.3], [2], [0.6])
    beats = _choose([10.2], [3], [2.0])  # within the refractory period: the stronger wins
    assert 10.2 in beats and 10.0 not in beats


def test_a_strong_single_vote_beats_an_agreed_p_wave_before_it():
    # As on MIT-BIH 108: two detectors mark a tall P wave, one the QRS 0.21 s later.
    beats = _choose([10.21], [1], [1.0], np.r_[np.arange(0.0, 10.0), [10.0], np.arange(11, 20)])
    assert 10.21 not in beats  # the P wave (agreed, strength 1) came first: same strength...
    p_wave = _choose_with_p_wave()
    assert 10.21 in p_wave and 10.0 not in p_wave


def _choose_with_p_wave():
    s = np.round(np.r_[np.arange(0.0, 10.0), [10.0, 10.21], np.arange(11.0, 20.0)] * 100)
    votes = np.r_[np.full(10, 3), [2, 1], np.full(9, 3)]
    strength = np.r_[np.ones(10), [0.3, 1.0], np.ones(9)]  # ...but a P wave is weaker
    taken = beat_choice.choose_beats(
        s.astype(np.int64), votes, strength, np.full(len(s), 0.01), 100.0, 2
    )
    return (s[taken] / 100).tolist()


def test_nothing_is_chosen_in_noise_as_strong_as_the_candidates():
    s = np.arange(0, 2000, 100, dtype=np.int64)
    votes = np.r_[np.full(10, 3), np.full(10, 1)]
    strength = np.ones(20)
    noise = np.r_[np.full(10, 0.01), np.full(10, 0.8)]  # second half: the candidates are noise
    taken = beat_choice.choose_beats(s, votes, strength, noise, 100.0, 2)
    assert taken.tolist() == [True] * 10 + [False] * 10


def test_running_median_of_the_neighbours():
    pos = np.array([0, 10, 20, 30, 40])
    val = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    # k = 1: the one entry before and the one after (at or past) each position.
    assert beat_choice.running_median(pos, val, np.array([0, 15, 45]), 1).tolist() == [
        1.0,
        2.5,
        100.0,
    ]


# Long signals are processed in pieces; the pieces must give the beats of the whole.


def test_chunked_processing_gives_the_beats_of_the_whole_signal(bigeminy_like):
    fs = bigeminy_like.fs
    whole = detect_peaks(bigeminy_like.signal, fs, chunk_s=None)
    pieces = detect_peaks(bigeminy_like.signal, fs, chunk_s=20.0)  # 6 pieces of 20 s
    np.testing.assert_array_equal(pieces.sample, whole.sample)
    np.testing.assert_array_equal(pieces.votes, whole.votes)
    np.testing.assert_allclose(pieces.clean, whole.clean, atol=1e-6)
    assert pieces.polarity == whole.polarity
    m = match_beats(pieces.sample, bigeminy_like.peaks, fs)
    assert m.sensitivity == 1.0 and m.ppv == 1.0


def test_record100_in_pieces_gives_the_beats_of_the_whole(record100):
    part = record100.signal[: 10 * 60 * 360]  # ten minutes: pieces of one minute
    pieces = detect_peaks(part, 360.0, chunk_s=60.0)
    np.testing.assert_array_equal(pieces.sample, detect_peaks(part, 360.0, chunk_s=None).sample)
    assert len(pieces) > 700


# Plausibility: warnings when the beats are no heartbeat.


def test_white_noise_and_a_sine_wave_are_no_heartbeat():
    rng = np.random.default_rng(0)
    noise = detect_peaks(rng.standard_normal(60 * 250), 250.0)
    assert len(noise) > 30  # the detectors find "beats" in noise...
    assert any("no plausible heartbeat" in w for w in noise.warnings)  # ...and say so
    assert noise.quality["contrast"] < quality.MIN_CONTRAST
    sine = detect_peaks(np.sin(2 * np.pi * 1.2 * np.arange(60 * 250) / 250), 250.0)
    assert len(sine) == 0
    assert any("flutter" in w for w in sine.warnings)
    assert any("no heartbeat: 0 beat(s) found in 60 s" in w for w in sine.warnings)


def test_bursts_of_muscle_noise_stand_out_but_share_no_shape():
    rng = np.random.default_rng(0)
    envelope = np.repeat(rng.random(120) ** 3, 125)  # a new loudness every half second
    peaks = detect_peaks(rng.standard_normal(60 * 250) * envelope, 250.0)
    assert peaks.quality["contrast"] >= quality.MIN_CONTRAST  # the bursts do stand out...
    assert peaks.quality["shape_share"] < quality.MIN_SHAPE_SHARE  # ...with no common shape
    assert any("share the dominant QRS shape" in w for w in peaks.warnings)


def test_a_synthetic_ecg_is_a_plausible_heartbeat(pvc_rich):
    peaks = detect_peaks(pvc_rich.signal, pvc_rich.fs)
    assert peaks.warnings == []
    assert 60 <= peaks.quality["rate_bpm"] <= 100
    assert peaks.quality["shape_share"] >= 0.6  # 70 % normal beats
    assert peaks.quality["contrast"] >= 10


def test_vf_leakage_tells_a_sinusoid_from_narrow_spikes():
    t = np.arange(4 * 250) / 250
    assert quality.vf_leakage(np.sin(2 * np.pi * 5 * t)) < 0.05
    spikes = np.zeros(len(t))
    spikes[::200] = 1.0
    assert quality.vf_leakage(spikes) == 1.0  # nothing cancels half a period later
    assert quality.vf_leakage(np.zeros(10)) == 1.0


def test_beats_inside_flutter_are_dropped_with_a_warning(pvc_rich):
    fs = pvc_rich.fs
    signal = pvc_rich.signal.copy()
    a, b = int(40 * fs), int(60 * fs)  # 20 s of a 4.5 Hz sinusoid, as ventricular flutter
    signal[a:b] = np.sin(2 * np.pi * 4.5 * np.arange(b - a) / fs)
    peaks = detect_peaks(signal, fs)
    assert not ((peaks.sample > a + fs) & (peaks.sample < b - fs)).any()
    # An episode is marked window by window (4 s): it may start up to a window early.
    assert any("flutter" in w and "for 26 s, at 37-63 s" in w for w in peaks.warnings)
    outside = pvc_rich.peaks[(pvc_rich.peaks < a - 4 * fs) | (pvc_rich.peaks > b + 4 * fs)]
    assert match_beats(peaks.sample, outside, fs).fn == 0
