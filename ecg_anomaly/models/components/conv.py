"""The CNN notebook's 1-D convolutional encoder and decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ecg_anomaly.models.components.layers import activation

#: Padding of the encoder's max-pooling, by its Keras name.
POOL_PADDINGS = ("same", "valid")


class ConvEncoder(nn.Module):
    """Conv1d stack with same padding, pooling after all but the last, then global pooling.

    Args:
        channels: Output channels of each convolution (the last is the code size).
        kernel_size: Kernel size of every convolution (odd, for same padding).
        act: Activation after each convolution.
        dropout: Dropout after each pooling.
        pool_padding: ``"same"`` keeps a last, odd sample as a window of its own (Keras's
            ``MaxPooling1D(padding="same")``: 140 -> 70 -> 35 -> 18); ``"valid"`` drops it
            (140 -> 70 -> 35 -> 17).
    """

    def __init__(
        self,
        channels: Sequence[int] = (128, 64, 32, 16),
        kernel_size: int = 3,
        act: str = "tanh",
        dropout: float = 0.2,
        pool_padding: str = "same",
    ) -> None:
        super().__init__()
        if pool_padding not in POOL_PADDINGS:
            msg = f"pool_padding must be one of {', '.join(POOL_PADDINGS)}; got {pool_padding!r}"
            raise ValueError(msg)
        # With kernel = stride = 2, ceil_mode gives exactly Keras's "same" windows: the padded
        # position of the last window is ignored by the max.
        ceil_mode = pool_padding == "same"
        layers: list[nn.Module] = []
        n_in = 1
        for i, n_out in enumerate(channels):
            layers += [nn.Conv1d(n_in, n_out, kernel_size, padding="same"), activation(act)]
            if i < len(channels) - 1:
                layers += [nn.MaxPool1d(2, ceil_mode=ceil_mode), nn.Dropout(dropout)]
            n_in = n_out
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Beats ``(n, seq_len)`` to codes ``(n, channels[-1])`` (global average pooling)."""
        return self.net(x.unsqueeze(1)).mean(dim=-1)


class ConvDecoder(nn.Module):
    """Linear to a short sequence, then transposed convolutions and upsampling back to a beat.

    Args:
        seq_len: Samples per beat; must be divisible by ``2 ** len(channels)``.
        code_size: Size of the code.
        channels: Channels of the transposed convolutions, each followed by upsampling x2.
        start_channels: Channels of the sequence the linear layer makes.
        kernel_size: Kernel size of every convolution.
        act: Hidden activation.
        out_act: Activation of the reconstruction.
    """

    def __init__(
        self,
        seq_len: int,
        code_size: int = 16,
        channels: Sequence[int] = (32, 64),
        start_channels: int = 16,
        kernel_size: int = 3,
        act: str = "tanh",
        out_act: str = "tanh",
    ) -> None:
        super().__init__()
        factor = 2 ** len(channels)
        if seq_len % factor:
            msg = (
                f"the convolutional decoder upsamples x{factor}, so seq_len must be divisible "
                f"by {factor}; got seq_len={seq_len} (crop or pad the beats, or change "
                "model.decoder_channels)"
            )
            raise ValueError(msg)
        self.start = (start_channels, seq_len // factor)
        self.linear = nn.Sequential(
            nn.Linear(code_size, start_channels * (seq_len // factor)), activation(act)
        )
        layers: list[nn.Module] = []
        n_in = start_channels
        pad = kernel_size // 2
        for n_out in channels:
            layers += [
                nn.ConvTranspose1d(n_in, n_out, kernel_size, padding=pad),
                activation(act),
                nn.Upsample(scale_factor=2, mode="nearest"),
            ]
            n_in = n_out
        layers += [nn.Conv1d(n_in, 1, kernel_size, padding="same"), activation(out_act)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``(n, code_size)`` to beats ``(n, seq_len)``."""
        h = self.linear(z).unflatten(1, self.start)
        return self.net(h).squeeze(1)
