"""The CNN notebook's 1-D convolutional autoencoder, trained with a weighted MSE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ecg_anomaly.models.autoencoder import ReconstructionModel
from ecg_anomaly.models.components.conv import ConvDecoder, ConvEncoder
from ecg_anomaly.models.components.layers import keras_init_
from ecg_anomaly.models.losses import per_beat_error, weighted_mse


class ConvAutoencoder(ReconstructionModel):
    """1-D convolutional autoencoder.

    Encoder: Conv1d 128, 64, 32, 16 channels (kernel 3, same padding, tanh), max-pool 2 and
    dropout after each of the first three (140 -> 70 -> 35 -> 18 samples with "same"
    pooling), global average pooling to a 16-d code. Decoder: linear to
    ``(16, seq_len // 4)`` (tanh), transposed conv 32, upsample x2, transposed conv 64,
    upsample x2, conv to one channel (tanh).

    Args:
        seq_len: Samples per beat; must be divisible by 4 (two upsamplings x2).
        encoder_channels: Channels of the encoder's convolutions (last = code size).
        decoder_channels: Channels of the decoder's transposed convolutions.
        decoder_start_channels: Channels of the sequence the decoder's linear layer makes.
        kernel_size: Kernel size of every convolution.
        dropout: Dropout after each encoder pooling.
        pool_padding: ``"same"`` (the notebook's ``MaxPooling1D(padding="same")``, 35 -> 18)
            or ``"valid"`` (35 -> 17) for the encoder's max-pooling.
        output_activation: Activation of the reconstruction.
        loss_cutoff: Squared errors above it are weighted ``loss_weight`` in the ``weighted_mse``
            loss.
        loss_weight: Weight of those squared errors.
        keras_init: Glorot-uniform weights and zero biases, as in Keras.
        **kwargs: ``loss`` (``weighted_mse``, ``mse`` or ``mae``), ``score``, ``normalization``,
            ``optimizer``, ``scheduler``.
    """

    LOSSES = ("weighted_mse", "mse", "mae")

    def __init__(
        self,
        seq_len: int = 140,
        encoder_channels: Sequence[int] = (128, 64, 32, 16),
        decoder_channels: Sequence[int] = (32, 64),
        decoder_start_channels: int = 16,
        kernel_size: int = 3,
        dropout: float = 0.2,
        pool_padding: str = "same",
        output_activation: str = "tanh",
        loss_cutoff: float = 0.015,
        loss_weight: float = 5.0,
        keras_init: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("loss", "weighted_mse")
        kwargs.setdefault("score", "mse")
        super().__init__(seq_len=seq_len, **kwargs)
        encoder_channels = list(encoder_channels)
        self.encoder = ConvEncoder(encoder_channels, kernel_size, "tanh", dropout, pool_padding)
        self.decoder = ConvDecoder(
            seq_len,
            code_size=encoder_channels[-1],
            channels=list(decoder_channels),
            start_channels=decoder_start_channels,
            kernel_size=kernel_size,
            out_act=output_activation,
        )
        if keras_init:
            keras_init_(self)

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        recon = self(x)
        if self.loss_kind == "weighted_mse":
            cutoff, weight = self.hparams.loss_cutoff, self.hparams.loss_weight
            return weighted_mse(recon, x, cutoff, weight).mean()
        return per_beat_error(recon, x, self.loss_kind).mean()
