"""ecg-anomaly: deep-learning anomaly detection for ECG heartbeats (ECG5000)."""

__version__ = "0.1.0"
