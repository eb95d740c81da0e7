"""A whole WFDB database scored as the literature scores it (``scripts/records_benchmark.py``).

- :mod:`~ecg_anomaly.records.sweep`: the database's records as one Hydra multi-run of
  ``ecg-anomaly-train`` (one run folder per record), paced records, resume;
- :mod:`~ecg_anomaly.records.tally`: the run folders as one table, gross figures, summary;
- :mod:`~ecg_anomaly.records.markdown`, :mod:`~ecg_anomaly.records.tables` and
  :mod:`~ecg_anomaly.records.figure`: ``results.md`` (our figures beside the published ones,
  every record, where the errors are) and the per-record figure;
- :mod:`~ecg_anomaly.records.xqrs`: wfdb's ``xqrs`` detector measured the same way;
- :mod:`~ecg_anomaly.records.leads`: two runs on two leads compared and combined beat by beat;
- :mod:`~ecg_anomaly.records.machine`: the machine, CPU seconds;
- :mod:`~ecg_anomaly.records.cli`: the command.

These modules run in the launching process, which trains nothing: they import neither torch nor
Lightning (nor :mod:`ecg_anomaly.recordings`, which does), so the command starts in a second.
"""
