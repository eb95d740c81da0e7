r"""Fit time of the notebooks' Keras models against ours, side by side in one run.

For each model (the course exercise's LSTM classifier, the LSTM autoencoder of the PyTorch
tutorial, the 1-D CNN notebook's autoencoder), each machine state (``idle``: nothing of ours
beside the run; ``busy``: one ``nice -n 19`` process spinning beside it, started and ended by
this script) and each thread count, the Keras model and ours are trained one after the other,
on the same beats (the splits our data module cuts from the same file), with the same seed,
threads and epochs. Printed: the fit seconds of each (Keras: ``model.fit``; ours:
``time/fit_seconds`` of ``python -m ecg_anomaly.train experiment=... threads=N report=false``,
which also holds Lightning's set-up and the threshold fit), the ratio ours / Keras, each side's
test accuracy (ours at 1 and 2 threads, same seed, side by side) and how many cores other
processes kept busy during the pair (from /proc/stat, minus the pair's own CPU time).

tensorflow-cpu lives in its own environment, never in the project's: the Keras side runs this
same file with ``--keras-python`` (its top level imports nothing but the standard library).

    python -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install tensorflow-cpu
    python scripts/keras_compare.py --keras-python /tmp/tf-venv/bin/python
    python scripts/keras_compare.py --keras-python /tmp/tf-venv/bin/python \
        --models lstm_classifier --threads 2 --machine busy --epochs 2
    python scripts/keras_compare.py --keras-python /tmp/tf-venv/bin/python \
        --model-epochs lstm_ae=3 cnn_ae=5   # the LSTM classifier in full, the others shorter

The Keras models (the notebooks' code, with their normalisation on the same beats):

- ``lstm_classifier`` (``../shared/sources/001_*``): LSTM(100), dropout 0.25, dense sigmoid;
  binary cross-entropy, Adam, batch 256, global min-max of the training split.
- ``lstm_ae``: the PyTorch tutorial's sequence autoencoder (its source is PyTorch) written in
  Keras: LSTM(2e) -> LSTM(e) -> RepeatVector -> LSTM(e) -> LSTM(2e) -> Dense(1) per step, with
  e = 32 as our recipe; L1 loss, Adam 1e-3, batch 64, raw beats, validation every epoch and the
  best epoch's weights restored (the tutorial keeps the best ``state_dict``).
- ``cnn_ae`` (``../shared/sources/000_*``): the notebook's CNNDetector, weighted MSE, early
  stopping (patience 10, best weights restored), ReduceLROnPlateau, batch 128, per-step
  min-max; validation on the normal validation beats.

Keras runs with ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` = threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Our recipe of each model and its Keras counterpart's settings.
MODELS = {
    "lstm_classifier": {"experiment": "course_lstm_classifier", "batch": 256},
    "lstm_ae": {"experiment": "curiousily_lstm_ae", "batch": 64, "embedding": 32},
    "cnn_ae": {"experiment": "cnn_conv_ae", "batch": 128},
}


# -- the Keras side (runs in the TensorFlow environment) -----------------------------------


def keras_model(name: str, seq_len: int):
    """The notebook's model, compiled as the notebook compiles it."""
    import keras
    import tensorflow as tf
    from keras import layers

    if name == "lstm_classifier":
        model = keras.Sequential(
            [
                keras.Input((seq_len, 1)),
                layers.LSTM(100),
                layers.Dropout(0.25),
                layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(loss="binary_crossentropy", optimizer="adam")
        return model
    if name == "lstm_ae":
        e = MODELS[name]["embedding"]
        model = keras.Sequential(
            [
                keras.Input((seq_len, 1)),
                layers.LSTM(2 * e, return_sequences=True),
                layers.LSTM(e),
                layers.RepeatVector(seq_len),
                layers.LSTM(e, return_sequences=True),
                layers.LSTM(2 * e, return_sequences=True),
                layers.Dense(1),
            ]
        )
        model.compile(loss="mae", optimizer=keras.optimizers.Adam(1e-3))
        return model

    def conv(filters: int) -> layers.Layer:
        return layers.Conv1D(filters, 3, padding="same", activation="tanh")

    def down() -> list[layers.Layer]:
        return [layers.MaxPooling1D(2, strides=2, padding="same"), layers.Dropout(0.2)]

    encoder = keras.Sequential(
        [conv(128), *down(), conv(64), *down(), conv(32), *down(), conv(16),
         layers.GlobalAveragePooling1D()]
    )  # fmt: skip
    decoder = keras.Sequential(
        [
            layers.Dense(seq_len // 4 * 16, activation="tanh"),
            layers.Reshape((seq_len // 4, 16)),
            layers.Conv1DTranspose(32, 3, padding="same", activation="tanh"),
            layers.UpSampling1D(2),
            layers.Conv1DTranspose(64, 3, padding="same", activation="tanh"),
            layers.UpSampling1D(2),
            layers.Conv1D(1, 3, padding="same", activation="tanh"),
        ]
    )
    model = keras.Sequential([keras.Input((seq_len, 1)), encoder, decoder])

    def weighted_mse(y_true, y_pred):
        error = tf.square(y_true - y_pred)
        return tf.reduce_mean(tf.where(error > 0.015, 5.0, 1.0) * error)

    model.compile(optimizer="adam", loss=weighted_mse)
    return model


def keras_run(name: str, threads: int, seed: int, epochs: int, arrays: str, out: str) -> None:
    """Train the Keras model on the saved splits; write fit seconds and test accuracy."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    d = dict(np.load(arrays))
    x = {s: d[f"x_{s}"].astype("float32") for s in ("train", "val", "test")}
    normal = {s: d[f"normal_{s}"] for s in ("train", "val", "test")}
    if name == "lstm_classifier":  # tf.reduce_min / reduce_max of the training beats
        lo, hi = x["train"].min(), x["train"].max()
        x = {s: (v - lo) / (hi - lo) for s, v in x.items()}
    elif name == "cnn_ae":  # MinMaxScaler fitted on the training beats, per time step
        lo, hi = x["train"].min(0), x["train"].max(0)
        x = {s: (v - lo) / (hi - lo) for s, v in x.items()}
    model = keras_model(name, x["train"].shape[1])
    fit: dict = {"epochs": epochs, "batch_size": MODELS[name]["batch"], "verbose": 0}
    if name == "lstm_classifier":  # all labelled training beats, label 1 = normal
        inputs, targets = x["train"], normal["train"].astype("float32")
    else:  # autoencoders: normal beats, validated on the normal validation beats
        inputs = targets = x["train"][normal["train"]]
        val = x["val"][normal["val"]]
        fit["validation_data"] = (val, val)
        patience = 10 if name == "cnn_ae" else epochs
        fit["callbacks"] = [
            keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        ]
        if name == "cnn_ae":
            fit["callbacks"].append(
                keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5, min_lr=1e-6)
            )
    started = time.perf_counter()
    history = model.fit(inputs[..., None], targets, **fit)
    fit_seconds = time.perf_counter() - started

    def errors(v: np.ndarray) -> np.ndarray:
        rebuilt = model.predict(v[..., None], verbose=0, batch_size=1024)[..., 0]
        return (np.abs if name == "lstm_ae" else np.square)(rebuilt - v).mean(1)

    if name == "lstm_classifier":
        passed = model.predict(x["test"][..., None], verbose=0, batch_size=1024)[:, 0] >= 0.5
    else:  # mean + 1 std of the normal training beats' errors
        train_err = errors(inputs)
        passed = errors(x["test"]) < train_err.mean() + train_err.std()
    result = {
        "fit_seconds": fit_seconds,
        "epochs_run": len(history.history["loss"]),
        "accuracy": float((passed == normal["test"]).mean()),
        "version": f"tensorflow {tf.__version__}, keras {keras.__version__}",
    }
    Path(out).write_text(json.dumps(result))


# -- the driver (runs in the project's environment) ----------------------------------------


def save_splits(experiment: str, data: str, path: Path) -> None:
    """The raw beats and normal flags of our data module's train / val / test splits."""
    import numpy as np

    from ecg_anomaly.build import compose_config
    from ecg_anomaly.data.labels import NORMAL
    from ecg_anomaly.utils.config import instantiate_node

    cfg = compose_config([f"experiment={experiment}", f"data.path={data}", "data.download=false"])
    datamodule = instantiate_node(cfg.data, "data")
    datamodule.prepare_data()
    datamodule.setup("fit")
    arrays = {}
    for split in ("train", "val", "test"):
        x, y = datamodule.split(split)
        arrays[f"x_{split}"], arrays[f"normal_{split}"] = x.numpy(), (y == NORMAL).numpy()
    np.savez(path, **arrays)


def busy_cores() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine so far, from /proc/stat."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / hz, sum(fields) / hz


def children_cpu() -> float:
    """CPU seconds of the finished child processes so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(cmd: list[str], env: dict[str, str], result: Path) -> tuple[dict, float]:
    """Run one side; return its result and the cores other processes kept busy meanwhile."""
    busy0, cpu0, wall0 = busy_cores()[0], children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - wall0
    others = (busy_cores()[0] - busy0 - (children_cpu() - cpu0)) / wall
    if proc.returncode != 0 or not result.is_file():
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(result.read_text()), others


def run_ours(
    model: str, args: argparse.Namespace, threads: int, run_dir: Path
) -> tuple[dict, float]:
    """Our recipe through the console entry point; its fit seconds and test accuracy."""
    cmd = [
        sys.executable, "-m", "ecg_anomaly.train", f"experiment={MODELS[model]['experiment']}",
        f"threads={threads}", "report=false", f"seed={args.seed}", f"data.path={args.data}",
        "data.download=false", "callbacks.progress_bar=null", f"hydra.run.dir={run_dir}",
    ]  # fmt: skip
    if epochs_of(model, args):
        cmd.append(f"trainer.max_epochs={epochs_of(model, args)}")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    metrics, others = measured(cmd, env, run_dir / "metrics.json")
    return {
        "fit_seconds": metrics["time/fit_seconds"],
        "accuracy": metrics["test/accuracy"],
    }, others


def run_keras(model: str, args: argparse.Namespace, threads: int, arrays: Path, out: Path):
    """The Keras model in the TensorFlow environment."""
    cmd = [
        args.keras_python, __file__, "--keras-worker", model, "--threads", str(threads),
        "--seed", str(args.seed), "--epochs", str(epochs_of(model, args) or 20),
        "--arrays", str(arrays), "--result", str(out),
    ]  # fmt: skip
    return measured(cmd, dict(os.environ), out)


def epochs_of(model: str, args: argparse.Namespace) -> int | None:
    """Epochs of both sides for ``model``: ``--model-epochs``, else ``--epochs``, else None."""
    return args.model_epochs.get(model, args.epochs)


def model_epochs(text: str) -> tuple[str, int]:
    """``MODEL=N`` of ``--model-epochs`` as (model, N)."""
    model, _, epochs = text.partition("=")
    if model not in MODELS or not epochs.isdigit() or int(epochs) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected MODEL=N with MODEL one of {', '.join(MODELS)} and N >= 1"
        )
    return model, int(epochs)


def spinner() -> subprocess.Popen:
    """One low-priority process that keeps a core busy (the ``busy`` machine)."""
    return subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", "while True: pass"])


def load_average() -> str:
    """The 1, 5 and 15-minute load averages of /proc/loadavg (the spinner counts as 1)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_for_quiet(limit: float, minutes: float) -> float:
    """Poll the 1-minute load average every 2 minutes until it is below ``limit``."""
    deadline = time.time() + 60 * minutes
    while (load := os.getloadavg()[0]) >= limit and time.time() < deadline:
        print(f"load {load:.2f} >= {limit}: waiting", flush=True)
        time.sleep(120)
    return load


def table(rows: list[dict]) -> str:
    """Markdown: one line per model, machine and threads; medians over the repeats."""
    head = "| model | epochs | machine | threads | Keras fit | ours fit | ours / Keras | Keras acc. | ours acc. | other cores busy |"  # noqa: E501
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["model"], r["machine"], r["threads"]) for r in rows)
    for key in keys:
        group = [r for r in rows if (r["model"], r["machine"], r["threads"]) == key]
        k = statistics.median(r["keras"]["fit_seconds"] for r in group)
        o = statistics.median(r["ours"]["fit_seconds"] for r in group)
        ratio = statistics.median(
            r["ours"]["fit_seconds"] / r["keras"]["fit_seconds"] for r in group
        )
        accs = [", ".join(f"{r[s]['accuracy']:.3f}" for r in group) for s in ("keras", "ours")]
        others = max(r["others"] for r in group)
        lines.append(
            f"| {key[0]} | {group[0].get('epochs', 20)} | {key[1]} | {key[2]} | {k:.1f} s | "
            f"{o:.1f} s | {ratio:.2f}x | "
            f"{accs[0]} | {accs[1]} | {others:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keras-python", help="python of the environment with tensorflow-cpu")
    parser.add_argument("--data", help="ecg.csv (default: $ECG_ANOMALY_DATA, the shared copy)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--machine", nargs="+", choices=["idle", "busy"], default=["idle", "busy"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="epochs of both sides (default: the recipe's)")
    parser.add_argument("--model-epochs", nargs="+", type=model_epochs, default=[],
                        metavar="MODEL=N", help="one model's epochs (over --epochs)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1, help="pairs per line (median)")
    parser.add_argument("--wait-idle", type=float, metavar="LOAD",
                        help="first wait (up to 90 minutes) for a lower load")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--keras-worker", help=argparse.SUPPRESS)
    parser.add_argument("--arrays", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.model_epochs = dict(args.model_epochs)
    if args.keras_worker:
        keras_run(args.keras_worker, args.threads[0], args.seed, args.epochs, args.arrays,
                  args.result)  # fmt: skip
        return
    if not args.keras_python:
        parser.error("--keras-python is required (the python of a venv with tensorflow-cpu)")
    sys.path.insert(0, str(ROOT))
    from _machine import cpu_name
    from overhead import find_data

    args.data = find_data(args.data)
    print(f"{cpu_name()}, {os.cpu_count()} cores; data {args.data}; seed {args.seed}", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            save_splits(MODELS[model]["experiment"], args.data, Path(tmp) / f"{model}.npz")
        for model, machine in ((m, s) for m in args.models for s in args.machine):
            if machine == "idle" and args.wait_idle:
                print(f"load before the idle lines: {wait_for_quiet(args.wait_idle, 90):.2f}")
            spin = spinner() if machine == "busy" else None
            print(f"{model} {machine}: load average before {load_average()}", flush=True)
            try:
                for threads, i in ((t, i) for t in args.threads for i in range(args.repeat)):
                    tag = f"{machine}-{model}-{threads}-{i}"
                    sides = {}
                    # alternate which side goes first, so drift favours neither
                    for side in ("keras", "ours") if i % 2 == 0 else ("ours", "keras"):
                        if side == "keras":
                            arrays, out = Path(tmp) / f"{model}.npz", Path(tmp) / f"{tag}-k.json"
                            sides["keras"] = run_keras(model, args, threads, arrays, out)
                        else:
                            sides["ours"] = run_ours(model, args, threads, Path(tmp) / tag)
                    row = {"model": model, "machine": machine, "threads": threads,
                           "epochs": epochs_of(model, args) or 20,
                           "keras": sides["keras"][0], "ours": sides["ours"][0],
                           "others": max(sides["keras"][1], sides["ours"][1]),
                           "load": os.getloadavg()[0]}  # fmt: skip
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            finally:
                if spin is not None:
                    spin.terminate()
                    spin.wait()
                print(f"{model} {machine}: load average after {load_average()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    version = rows[0]["keras"]["version"] if rows else ""
    print(f"\n{version}; fit seconds (median of {args.repeat}); other cores busy: the most of")
    print("any pair, from /proc/stat minus the pair's own CPU time (busy lines: about 1 = the")
    print("spinner)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
