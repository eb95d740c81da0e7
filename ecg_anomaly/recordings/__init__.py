"""Real ECG recordings: read them, find the beats, cut them the way ECG5000 was cut.

The pieces, in the order data flows through them:

- :func:`read_recording` (WFDB, CSV, ``.npy``) or :func:`recording_from_array` -> :class:`Recording`
- :func:`detect_peaks` -> :class:`Peaks` (three detectors vote; polarity found)
- :func:`cut_beats` with a :class:`Window` (``"ecg5000"`` or ``"centred"``)
- :func:`extract_beats` does all of the above -> :class:`RecordingBeats` (beats, RR intervals,
  prematurity, annotation symbols, AAMI classes, labels, detection accuracy)
- :func:`match_beats` (EC57 Se / +P), :func:`select_training_beats` (dominant morphology)
- :class:`TimingTerm`: shape score + prematurity in the post-processing, typed flags
  (:mod:`~ecg_anomaly.recordings.ec57` counts them as EC57 does)

``wfdb`` and ``neurokit2`` (the ``recordings`` extra) are imported only when used.
"""

from ecg_anomaly.recordings.annotations import Annotations, aami_class
from ecg_anomaly.recordings.datamodule import RecordingDataModule
from ecg_anomaly.recordings.extract import RecordingBeats, extract_beats
from ecg_anomaly.recordings.features import prematurity, rr_intervals
from ecg_anomaly.recordings.io import Recording, read_recording, recording_from_array
from ecg_anomaly.recordings.matching import BeatMatch, match_beats
from ecg_anomaly.recordings.peaks import Peaks, detect_peaks
from ecg_anomaly.recordings.segment import WINDOWS, Window, cut_beats
from ecg_anomaly.recordings.selection import select_training_beats
from ecg_anomaly.recordings.timing import TimingTerm

__all__ = [
    "WINDOWS",
    "Annotations",
    "BeatMatch",
    "Peaks",
    "Recording",
    "RecordingBeats",
    "RecordingDataModule",
    "TimingTerm",
    "Window",
    "aami_class",
    "cut_beats",
    "detect_peaks",
    "extract_beats",
    "match_beats",
    "prematurity",
    "read_recording",
    "recording_from_array",
    "rr_intervals",
    "select_training_beats",
]
