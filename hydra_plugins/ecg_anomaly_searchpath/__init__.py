"""Hydra plugin adding the folders in ``$ECG_ANOMALY_CONFIG_DIR`` to ecg-anomaly's configs."""
