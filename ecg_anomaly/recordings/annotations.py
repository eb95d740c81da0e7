"""Reference annotations of a recording: which symbols are beats, and their AAMI classes.

MIT-BIH style annotation files mix beat labels (``N``, ``A``, ``V`` ...) with rhythm changes
(``+``), noise markers (``~``), comments (``"``) and wave boundaries (``(``, ``)``, ``p``,
``t``). Only beat labels count as reference beats (ANSI/AAMI EC57); they are grouped into the
five AAMI classes N (normal and bundle branch block), S (supraventricular ectopic),
V (ventricular ectopic), F (fusion) and Q (paced or unclassifiable).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: AAMI class of every beat annotation symbol (EC57; MIT-BIH symbol set).
AAMI_CLASSES: dict[str, str] = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}

#: Annotation symbols that mark a beat; every other symbol (rhythm, noise, comment, wave
#: boundary, ``|`` isolated artefact, ``!`` flutter wave ...) is not a beat.
BEAT_SYMBOLS: frozenset[str] = frozenset(AAMI_CLASSES)

#: The AAMI class of normal beats; S, V, F and Q are abnormal.
NORMAL_CLASS = "N"


def aami_class(symbol: str) -> str:
    """AAMI class (``N``/``S``/``V``/``F``/``Q``) of a beat symbol, ``""`` for a non-beat symbol."""
    return AAMI_CLASSES.get(symbol, "")


@dataclass(frozen=True, eq=False)
class Annotations:
    """Annotations of one recording (sample positions and symbols, as in a WFDB file).

    Attributes:
        sample: Position of each annotation, in samples of the recording (int64).
        symbol: Symbol of each annotation (a NumPy array of ``str``).
    """

    sample: np.ndarray = field(repr=False)
    symbol: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        sample = np.asarray(self.sample, dtype=np.int64)
        symbol = np.asarray(self.symbol, dtype=str)
        if sample.shape != symbol.shape or sample.ndim != 1:
            msg = (
                f"annotations need as many samples as symbols (got {sample.shape}, {symbol.shape})"
            )
            raise ValueError(msg)
        order = np.argsort(sample, kind="stable")
        object.__setattr__(self, "sample", sample[order])
        object.__setattr__(self, "symbol", symbol[order])

    def __len__(self) -> int:
        return len(self.sample)

    def beats(self) -> Annotations:
        """Only the beat annotations (the EC57 reference beats), in order."""
        keep = np.isin(self.symbol, list(BEAT_SYMBOLS))
        return Annotations(self.sample[keep], self.symbol[keep])

    def aami(self) -> np.ndarray:
        """AAMI class of each annotation (``""`` for non-beat symbols)."""
        return np.array([aami_class(s) for s in self.symbol], dtype=str)

    def rescaled(self, factor: float) -> Annotations:
        """The same annotations for the signal resampled by ``factor`` (new fs / old fs)."""
        return Annotations(np.rint(self.sample * factor).astype(np.int64), self.symbol)
