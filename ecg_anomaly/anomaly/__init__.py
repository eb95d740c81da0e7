"""Thresholds and metrics: from anomaly scores to decisions and numbers."""
