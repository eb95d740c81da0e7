"""Hydra plugin that adds the user's config folders (``$ECG_ANOMALY_CONFIG_DIR``) to ecg-anomaly's."""
