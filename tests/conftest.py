import numpy as np
import pytest

from tinygrad_cnn import Tensor


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def leaf(rng, *shape, scale=1.0):
    """A float64 leaf tensor of standard normal values that requires grad."""
    return Tensor(rng.standard_normal(shape) * scale, requires_grad=True)
