"""Package discovery that pyproject.toml cannot express.

conf/ ships as ``ecg_anomaly.conf``, and the Hydra search-path plugin (which adds the folders in
``$ECG_ANOMALY_CONFIG_DIR``) as a portion of Hydra's ``hydra_plugins`` namespace package.
"""

from setuptools import find_namespace_packages, find_packages, setup

setup(
    packages=[
        *find_packages(include=["ecg_anomaly", "ecg_anomaly.*"]),
        "ecg_anomaly.conf",
        # each config group is a folder of YAML files; listed so setuptools ships them quietly
        *(f"ecg_anomaly.conf.{p}" for p in find_namespace_packages(where="conf")),
        *find_namespace_packages(include=["hydra_plugins.*"]),
    ],
    package_dir={"ecg_anomaly.conf": "conf"},
)
