"""Hydra sweeper plugin of ecg-anomaly: the basic sweeper, composing one job to check a sweep."""
