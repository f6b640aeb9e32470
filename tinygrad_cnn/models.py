"""The networks: LeNet-5 (Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning
applied to document recognition", Proc. IEEE 86(11), 1998), the CNN of R. B. Palm's MATLAB
DeepLearnToolbox (its `test_example_CNN`), and a five-layer ReLU CNN (conv-pool-conv-pool-affine).
Each model knows its loss: `model.loss(output, labels)` with integer labels.

`MODELS` maps a name to its class; `model.config` holds the constructor arguments, so a
checkpoint can rebuild the model with `MODELS[name](**config)`. A model class may set
`train_defaults` (optimizer, lr, batch size, epochs the trainer uses unless told otherwise) and
`normalization` (a fixed input (mean, std); otherwise the trainer standardises with the
training set's pixel statistics).
"""
from __future__ import annotations

import numpy as np

from . import functional as F
from . import nn
from .tensor import Tensor

# LeCun et al. (1998), Table I: which S2 maps (rows) feed each C3 map (columns).
C3_TABLE_ROWS = (
    "X---XXX--XXXX-XX",
    "XX---XXX--XXXX-X",
    "XXX---XXX--X-XXX",
    "-XXX--XXXX--X-XX",
    "--XXX--XXXX-XX-X",
    "---XXX--XXXX-XXX",
)
C3_TABLE = np.array([[c == "X" for c in row] for row in C3_TABLE_ROWS])  # (6 inputs, 16 outputs)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _choice(model: str, what: str, value: str, options: dict) -> type:
    if value not in options:
        raise ValueError(f"{model}: unknown {what} {value!r}; expected one of {sorted(options)}")
    return options[value]


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class LeNet5(nn.Module):
    """LeNet-5 for 28×28 inputs: C1 6@5×5 pad 2 → S2 → C3 16@5×5 → S4 → F5 120 → F6 84 → 10.

    `activation` "relu" | "tanh", `pool` "max" | "avg"; `c3_table=True` connects C3 to S2 as in
    the paper's Table I (60 of the 96 map pairs). Loss: softmax cross-entropy on the logits.
    """

    def __init__(self, activation: str = "relu", pool: str = "max", c3_table: bool = False,
                 num_classes: int = 10, seed: int | np.random.Generator | None = None):
        super().__init__()
        act, pool_cls = (_choice("LeNet5", "activation", activation, ACTIVATIONS),
                         _choice("LeNet5", "pool", pool, POOLS))
        self.config = dict(activation=activation, pool=pool, c3_table=c3_table,
                           num_classes=num_classes)
        rng = _rng(seed)
        self.c1 = nn.Conv2d(1, 6, 5, padding=2, rng=rng)                  # 6@28×28
        self.s2 = pool_cls(2)                                              # 6@14×14
        table = C3_TABLE if c3_table else None
        self.c3 = nn.Conv2d(6, 16, 5, connections=table, rng=rng)         # 16@10×10
        self.s4 = pool_cls(2)                                              # 16@5×5
        self.f5 = nn.Linear(16 * 5 * 5, 120, rng=rng)
        self.f6 = nn.Linear(120, 84, rng=rng)
        self.output = nn.Linear(84, num_classes, rng=rng)
        self.act = act()

    def forward(self, x: Tensor) -> Tensor:
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.act(self.f5(x.flatten(1)))
        x = self.act(self.f6(x))
        return self.output(x)

    def loss(self, logits: Tensor, labels: np.ndarray) -> Tensor:
        return F.cross_entropy(logits, labels)


class ToolboxCNN(nn.Module):
    """The CNN of R. B. Palm's MATLAB DeepLearnToolbox (`CNN/cnnsetup.m`, `test_example_CNN.m`):
    6c-2s-12c-2s on 28×28, a small relative of LeNet-5 (LeCun et al. 1998).

    5×5 valid convolutions with sigmoid, parameter-free 2×2 mean subsampling, then a sigmoid
    output layer 192 → 10. Weights Xavier-uniform, U(±√(6/(fan_in + fan_out))), biases 0, as the
    toolbox's cnnsetup. Loss: E = ½ Σ (y − t)² / N on one-hot targets t. Trained as the
    toolbox's example: pixels/255 (no standardisation), plain SGD with lr 1 (constant), batch 50, 1 epoch.
    """

    normalization = (0.0, 1.0)            # (mean, std) on the [0, 1] scale: x = pixels / 255
    train_defaults = dict(optimizer="sgd", lr=1.0, momentum=0.0, batch_size=50, epochs=1,
                          schedule="none", weight_decay=0.0, augment=False)

    def __init__(self, num_classes: int = 10, seed: int | np.random.Generator | None = None):
        super().__init__()
        self.config = dict(num_classes=num_classes)
        rng = _rng(seed)
        self.c1 = nn.Conv2d(1, 6, 5, rng=rng)                 # 6@24×24
        self.s2 = nn.AvgPool2d(2)                              # 6@12×12
        self.c3 = nn.Conv2d(6, 12, 5, rng=rng)                # 12@8×8
        self.s4 = nn.AvgPool2d(2)                              # 12@4×4
        self.output = nn.Linear(12 * 4 * 4, num_classes, rng=rng)
        self.sigmoid = nn.Sigmoid()
        for layer in (self.c1, self.c3, self.output):
            nn.init.xavier_uniform_(layer.weight, rng=rng)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.s2(self.sigmoid(self.c1(x)))
        x = self.s4(self.sigmoid(self.c3(x)))
        return self.sigmoid(self.output(x.flatten(1)))

    def loss(self, y: Tensor, labels: np.ndarray) -> Tensor:
        target = np.eye(y.shape[1], dtype=y.dtype)[labels]
        return F.squared_error(y, target)


class FiveLayerReLUCNN(nn.Module):
    """A five-layer ReLU CNN, conv-pool-conv-pool-affine: C1 6@5×5 valid (6@24×24) → max pool
    (6@12×12) → C3 12@5×5 (12@8×8) → max pool (12@4×4) → affine 192 → 10, ReLU after each
    convolution; the toolbox CNN's layout with ReLU, max pooling and a softmax output.
    Loss: softmax cross-entropy."""

    def __init__(self, num_classes: int = 10, seed: int | np.random.Generator | None = None):
        super().__init__()
        self.config = dict(num_classes=num_classes)
        rng = _rng(seed)
        self.c1 = nn.Conv2d(1, 6, 5, rng=rng)
        self.s2 = nn.MaxPool2d(2)
        self.c3 = nn.Conv2d(6, 12, 5, rng=rng)
        self.s4 = nn.MaxPool2d(2)
        self.output = nn.Linear(12 * 4 * 4, num_classes, rng=rng)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        x = self.s2(self.relu(self.c1(x)))
        x = self.s4(self.relu(self.c3(x)))
        return self.output(x.flatten(1))

    def loss(self, logits: Tensor, labels: np.ndarray) -> Tensor:
        return F.cross_entropy(logits, labels)


MODELS: dict[str, type[nn.Module]] = {"lenet5": LeNet5, "toolbox": ToolboxCNN,
                                      "five-layer-relu": FiveLayerReLUCNN}


def build_model(name: str, seed: int | np.random.Generator | None = None, **config) -> nn.Module:
    """`MODELS[name](**config, seed=seed)`, with an error listing the known names."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](seed=seed, **config)  # type: ignore[call-arg]  # every model takes seed
