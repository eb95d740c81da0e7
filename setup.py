"""Package discovery that pyproject.toml cannot express: conf/ ships as ``ecg_anomaly.conf``."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["ecg_anomaly", "ecg_anomaly.*"]), "ecg_anomaly.conf"],
    package_dir={"ecg_anomaly.conf": "conf"},
)
