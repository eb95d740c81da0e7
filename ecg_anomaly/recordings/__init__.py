"""Real ECG recordings: read them, find the beats, cut them like ECG5000."""
