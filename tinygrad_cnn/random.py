"""The random number generator behind rand/randn/randint/randperm/dropout-style sampling.

`manual_seed(s)` reseeds the module's default generator (PyTorch's `torch.manual_seed`);
a `Generator` can be passed as `generator=` to draw from its own stream instead.
"""
from __future__ import annotations

import secrets
from typing import Any

import numpy as np


class Generator:
    """A seedable stream of random numbers (wraps numpy's PCG64 `default_rng`)."""

    def __init__(self, device: str = "cpu"):
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"Generator: device {device!r} is not available; only 'cpu'")
        self._seed: int | None = None
        self.rng = np.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: expected an int seed, got {seed!r}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
        return self

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by rand, randn, randint, … without `generator=`)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from fresh entropy; returns the seed."""
    s = secrets.randbits(63)
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int | None:
    return default_generator.initial_seed()


def rng(generator: Generator | None) -> np.random.Generator:
    """The numpy generator to draw from: `generator`'s, else the default one."""
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator: expected a tinygrad_cnn.Generator, got {type(generator).__name__}")
    return generator.rng
