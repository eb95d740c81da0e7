"""ecg-anomaly: deep-learning anomaly detection for ECG heartbeats (ECG5000 and recordings)."""

__version__ = "0.1.0"

__all__ = ["Detector", "__version__", "load_detector"]


def __getattr__(name: str):
    # Imported on first use, so ``import ecg_anomaly`` stays cheap (no torch, no Lightning).
    if name in ("Detector", "load_detector"):
        from ecg_anomaly import detector

        return getattr(detector, name)
    msg = f"module 'ecg_anomaly' has no attribute {name!r}"
    raise AttributeError(msg)
