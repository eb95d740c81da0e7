"""The package's one label convention.

Inside ecg-anomaly every label is an integer: ``NORMAL = 0`` and ``ABNORMAL = 1``. The abnormal
class is the positive class of every metric (``test/precision``, ``test/recall``, ...); metrics
in the TensorFlow tutorial's orientation, where normal is positive, carry a ``normal_`` prefix.

Source files use other codes, and are converted on reading:

- the TensorFlow tutorial's ``ecg.csv``: last column ``1.0`` = normal, ``0.0`` = abnormal;
- the UCR archive's ``ECG5000_TRAIN/TEST``: first column class ``1`` = normal, ``2``-``5`` abnormal.
"""

from __future__ import annotations

NORMAL = 0
ABNORMAL = 1
#: Label and class code of a beat whose label is not known (no labels, an unannotated beat).
UNKNOWN = -1

#: Label codes of the TensorFlow tutorial's ``ecg.csv`` (its last column).
TF_NORMAL_CODE = 1
TF_ABNORMAL_CODE = 0

#: Classes of the UCR archive's ECG5000: 1 is normal, 2-5 are four kinds of abnormal beat.
UCR_NORMAL_CLASS = 1
UCR_CLASSES = (1, 2, 3, 4, 5)
#: Names of the UCR archive's ECG5000 classes.
UCR_CLASS_NAMES = {
    1: "normal",
    2: "R-on-T PVC",
    3: "PVC",
    4: "supraventricular",
    5: "unclassified",
}
