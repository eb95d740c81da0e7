"""A whole WFDB database scored as the literature scores it (``scripts/records_benchmark.py``).

- :mod:`~ecg_anomaly.records.sweep`: the database's records as one Hydra multi-run of
  ``ecg-anomaly-train`` (one run folder per record), paced records, resume;
- :mod:`~ecg_anomaly.records.tally`: the run folders as one table, gross figures, summary;
- :mod:`~ecg_anomaly.records.markdown` and :mod:`~ecg_anomaly.records.figure`: ``results.md``
  beside the published figures, and the per-record figure;
- :mod:`~ecg_anomaly.records.xqrs`: wfdb's ``xqrs`` detector measured the same way;
- :mod:`~ecg_anomaly.records.cli`: the command.

These modules run in the launching process, which trains nothing: they import neither torch nor
Lightning (nor :mod:`ecg_anomaly.recordings`, which does), so the command starts in a second.
"""
