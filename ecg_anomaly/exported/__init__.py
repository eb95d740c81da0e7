"""The detector as one graph (:mod:`.graph`) and its files, written and checked (:mod:`.files`).

The command that writes them is ``ecg-anomaly-export`` (:mod:`ecg_anomaly.export`).
"""
