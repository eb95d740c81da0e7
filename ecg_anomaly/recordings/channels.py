"""Which channel of a recording is the ECG: the one asked for, or the one that says so.

Never guessed: the channel asked for (``channel=``, a name or a 0-based index), else ``MLII``,
else the first whose name says ECG (``ecg``, ``EKG``, a lead name such as ``II``, ``aVF`` or
``V5``, ``lead``, ``signal``), else, when no name tells, the one column that is not a time or
sample index (named so, or strictly increasing in even steps). Anything else is refused with the
channel names and how to choose.
"""

from __future__ import annotations

import re

import numpy as np

from ecg_anomaly.errors import ConfigError

#: The channel read by default when a file has it (MIT-BIH's modified lead II).
PREFERRED_CHANNEL = "MLII"
# Words of a channel name that say ECG: ecg/ekg (ECG1, ecg_mv), a lead, "lead", "signal".
_ECG_WORD = re.compile(r"(?:ecg|ekg)[a-z0-9]*|mli{1,3}|i{1,3}|av[rlf]|v[1-6]|lead|signal")
# Words of a channel name that say time or sample index.
_TIME_WORDS = frozenset(
    {"time", "t", "timestamp", "seconds", "sec", "s", "ms", "sample", "samples", "index", "idx"}
)


def pick_channel(channels: tuple[str, ...], channel: str | int | None, source: str) -> int | None:
    """Index of the channel asked for, else of the one whose name says it is the ECG.

    Args:
        channels: Channel names in file order.
        channel: A name, a 0-based index (int or digits), or None for the default.
        source: The file, for the message.

    Returns:
        The index; None when no channel was asked for and no name tells (see
        :func:`only_signal`).

    Raises:
        ConfigError: The file has no such channel (the message lists the available ones).
    """
    if channel is None:
        if PREFERRED_CHANNEL in channels:
            return channels.index(PREFERRED_CHANNEL)
        ecg = [i for i, name in enumerate(channels) if any(map(_ECG_WORD.fullmatch, _words(name)))]
        return ecg[0] if ecg else 0 if len(channels) == 1 else None
    if isinstance(channel, str) and channel in channels:
        return channels.index(channel)
    text = str(channel).strip()
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(channels):
        return int(text)
    msg = (
        f"{source}: no channel {channel!r}; the file has {len(channels)} channel(s) "
        f"({_listed(channels)}). Set channel= to one of these names or 0-based indices."
    )
    raise ConfigError(msg)


def only_signal(
    channels: tuple[str, ...], candidates: list[int], values: np.ndarray, source: str
) -> int:
    """Index of the one channel among ``candidates`` that is not a time or sample index.

    Args:
        channels: All channel names in file order.
        candidates: The indices of the channels that could be the ECG (those holding numbers).
        values: Their samples, one column per candidate.
        source: The file, for the message.

    Raises:
        ConfigError: No such channel, or several: the user must choose (``channel=``).
    """
    signal = [
        i
        for i, column in zip(candidates, values.T, strict=True)
        if not _TIME_WORDS.intersection(_words(channels[i])) and not _is_time_like(column)
    ]
    if len(signal) == 1:
        return signal[0]
    if signal:
        why = f"{len(signal)} columns could be it ({', '.join(repr(channels[i]) for i in signal)})"
    else:
        why = "every column is a time or sample index (named so, or increasing evenly)"
    msg = (
        f"{source}: cannot tell which channel is the ECG: no name says so (ecg, MLII, II, V5, "
        f"...) and {why}. The file has {len(channels)} channel(s) ({_listed(channels)}); choose "
        f"one with channel=<name or 0-based index>, e.g. channel={channels[(signal or [0])[0]]}."
    )
    raise ConfigError(msg)


def _words(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", name.lower())


def _listed(channels: tuple[str, ...]) -> str:
    return ", ".join(f"{i}: {name!r}" for i, name in enumerate(channels))


def _is_time_like(column: np.ndarray) -> bool:
    """Strictly increasing at an even pace (steps within a factor 2): a clock, not an ECG."""
    step = np.diff(column[np.isfinite(column)])
    return len(step) > 0 and step.min() > 0 and step.max() <= 2 * step.min()
