"""Small layer helpers: activations by name, dense stacks, Keras-style initialisation."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
    "linear": nn.Identity,
}


def activation(name: str) -> nn.Module:
    """An activation module by name (see :data:`ACTIVATIONS`)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        msg = f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        raise ValueError(msg) from None


def mlp(sizes: Sequence[int], act: str = "relu", out_act: str | None = None) -> nn.Sequential:
    """A stack of dense layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Args:
        sizes: Layer widths, input first.
        act: Activation after every layer but the last.
        out_act: Activation after the last layer (default: ``act``).

    Returns:
        The ``nn.Sequential`` stack.
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        last = i == len(sizes) - 2
        layers.append(activation((out_act or act) if last else act))
    return nn.Sequential(*layers)


def keras_init_(module: nn.Module) -> nn.Module:
    """Initialise like Keras: Glorot-uniform weights and zero biases (dense and conv layers).

    The recipes we reproduce were written in Keras; PyTorch's default initialisation draws
    smaller weights, which changes how far a 20-epoch recipe gets.
    """
    for m in module.modules():
        if isinstance(m, nn.Linear | nn.Conv1d | nn.ConvTranspose1d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def keras_lstm_init_(lstm: nn.LSTM) -> nn.LSTM:
    """Initialise an LSTM like Keras.

    Glorot-uniform input weights, orthogonal recurrent weights, and zero biases except a
    forget-gate bias of 1 (Keras's ``unit_forget_bias``).
    """
    h = lstm.hidden_size
    for name, p in lstm.named_parameters():
        # Keras draws the four gates' kernels as one (input, 4 * units) matrix, as here.
        if name.startswith("weight_ih"):
            nn.init.xavier_uniform_(p)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(p)
        elif name.startswith("bias"):
            nn.init.zeros_(p)
            if name.startswith("bias_ih"):
                p.data[h : 2 * h] = 1.0  # PyTorch gate order: input, forget, cell, output
    return lstm
