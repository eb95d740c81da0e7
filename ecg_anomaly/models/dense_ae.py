"""The TensorFlow tutorial's dense autoencoder (140-32-16-8-16-32-140)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecg_anomaly.models.autoencoder import ReconstructionModel
from ecg_anomaly.models.components.layers import keras_init_, mlp


class DenseAutoencoder(ReconstructionModel):
    """Dense autoencoder of the TensorFlow "intro to autoencoders" tutorial.

    Encoder ``seq_len -> 32 -> 16 -> 8`` with ReLU, decoder ``8 -> 16 -> 32`` with ReLU then
    ``-> seq_len`` with a sigmoid; trained with the mean absolute error on normal beats.

    Args:
        seq_len: Samples per beat (from the data).
        hidden: Encoder widths; the decoder mirrors them.
        activation: Hidden activation.
        output_activation: Activation of the reconstruction (``sigmoid`` fits min-max data).
        keras_init: Glorot-uniform weights and zero biases, as in Keras.
        **kwargs: ``loss``, ``score``, ``normalization``, ``optimizer``, ``scheduler``.
    """

    def __init__(
        self,
        seq_len: int = 140,
        hidden: Sequence[int] = (32, 16, 8),
        activation: str = "relu",
        output_activation: str = "sigmoid",
        keras_init: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(seq_len=seq_len, **kwargs)
        hidden = list(hidden)
        self.encoder = mlp([seq_len, *hidden], activation)
        self.decoder = mlp([*hidden[::-1], seq_len], activation, output_activation)
        if keras_init:
            keras_init_(self)
