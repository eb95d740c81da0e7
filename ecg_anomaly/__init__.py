"""ecg-anomaly: deep-learning anomaly detection for ECG heartbeats (ECG5000)."""

__version__ = "0.1.0"

__all__ = ["__version__", "load_detector"]


def __getattr__(name: str):
    # Imported on first use, so ``import ecg_anomaly`` stays cheap (no torch, no Lightning).
    if name == "load_detector":
        from ecg_anomaly.detector import load_detector

        return load_detector
    msg = f"module 'ecg_anomaly' has no attribute {name!r}"
    raise AttributeError(msg)
