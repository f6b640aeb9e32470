"""The networks (LeNet-5, the DeepLearnToolbox CNN, the five-layer ReLU CNN): layer shapes, exact
parameter counts, the C3 table, init, losses."""
import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.models import C3_TABLE, MODELS, FiveLayerReLUCNN, LeNet5, ToolboxCNN, build_model
from tinygrad_cnn.optim import Adam


def batch(n=3, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32))


def shapes_through(model, names, x):
    """Output shape after each named layer, following the model's forward order."""
    seen = {}
    for name in names:
        layer = getattr(model, name)
        original = layer.forward
        layer.forward = lambda *a, _f=original, _n=name: seen.setdefault(_n, _f(*a))
    model(x)
    for name in names:
        del getattr(model, name).forward                 # back to the class's forward
    return {n: t.shape for n, t in seen.items()}


def test_registry():
    assert MODELS == {"lenet5": LeNet5, "toolbox": ToolboxCNN, "five-layer-relu": FiveLayerReLUCNN}
    assert isinstance(build_model("five-layer-relu", seed=0), FiveLayerReLUCNN)
    known = r"\['five-layer-relu', 'lenet5', 'toolbox'\]"
    with pytest.raises(ValueError, match=r"unknown model 'vgg'; expected one of " + known):
        build_model("vgg")


def test_lenet5_layout_and_parameter_count():
    model = LeNet5(seed=0)
    assert shapes_through(model, ["c1", "s2", "c3", "s4", "f5", "f6", "output"], batch(3)) == {
        "c1": (3, 6, 28, 28), "s2": (3, 6, 14, 14), "c3": (3, 16, 10, 10), "s4": (3, 16, 5, 5),
        "f5": (3, 120), "f6": (3, 84), "output": (3, 10)}
    # 156 + 2,416 + 48,120 + 10,164 + 850
    assert model.num_parameters() == 61_706
    assert isinstance(model.act, nn.ReLU) and isinstance(model.s2, nn.MaxPool2d)


def test_lenet5_tanh_average_pool_option():
    model = LeNet5(activation="tanh", pool="avg", seed=0)
    assert isinstance(model.act, nn.Tanh) and isinstance(model.s4, nn.AvgPool2d)
    assert model(batch(2)).shape == (2, 10) and model.num_parameters() == 61_706
    with pytest.raises(ValueError, match=r"LeNet5: unknown activation 'gelu'; expected one of"):
        LeNet5(activation="gelu")


def test_c3_table_is_lecun_table_one():
    assert C3_TABLE.shape == (6, 16) and C3_TABLE.sum() == 60
    assert list(C3_TABLE.sum(axis=0)) == [3] * 6 + [4] * 9 + [6]
    # the first six C3 maps take three neighbouring S2 maps: map j ← {j, j+1, j+2} mod 6
    for j in range(6):
        assert set(np.flatnonzero(C3_TABLE[:, j])) == {j % 6, (j + 1) % 6, (j + 2) % 6}
    assert set(np.flatnonzero(C3_TABLE[:, 14])) == {0, 2, 3, 5}


def test_c3_table_masks_weights_and_gradients_through_training():
    model = LeNet5(c3_table=True, seed=0)
    dead = ~C3_TABLE.T                                  # (16 out, 6 in)
    # 60 connections × 25 + 16 biases: the paper's 1,516 trainable C3 parameters
    assert int((model.c3.weight.data != 0).sum()) + model.c3.bias.data.size == 1_516
    opt = Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    x, y = batch(8), np.arange(8) % 10
    for _ in range(3):
        opt.zero_grad()
        model.loss(model(x), y).backward()
        assert np.all(model.c3.weight.grad[dead] == 0)
        opt.step()
    assert np.all(model.c3.weight.data[dead] == 0) and np.all(model.c3.weight.data[~dead] != 0)
    assert "connections=60/96" in repr(model)


def test_toolbox_layout_init_and_loss():
    model = ToolboxCNN(seed=0)
    assert shapes_through(model, ["c1", "s2", "c3", "s4", "output"], batch(2)) == {
        "c1": (2, 6, 24, 24), "s2": (2, 6, 12, 12), "c3": (2, 12, 8, 8), "s4": (2, 12, 4, 4),
        "output": (2, 10)}
    assert model.num_parameters() == 6 * 25 + 6 + 12 * 6 * 25 + 12 + 192 * 10 + 10 == 3_898
    for layer, fan_in, fan_out in ((model.c1, 25, 150), (model.c3, 150, 300), (model.output, 192, 10)):
        bound = math.sqrt(6 / (fan_in + fan_out))     # Xavier uniform, as the toolbox
        assert 0.9 * bound < np.abs(layer.weight.data).max() <= bound
        assert np.all(layer.bias.data == 0)
    y = model(batch(4))
    assert np.all((y.data > 0) & (y.data < 1))                          # sigmoid outputs
    labels = np.array([3, 0, 9, 3])
    target = np.zeros((4, 10))
    target[np.arange(4), labels] = 1
    expected = 0.5 * ((y.data - target) ** 2).sum() / 4                # ½ Σ (y − t)² / N
    np.testing.assert_allclose(model.loss(y, labels).item(), expected, rtol=1e-5)


def test_five_layer_relu_layout():
    model = FiveLayerReLUCNN(seed=0)
    assert shapes_through(model, ["c1", "s2", "c3", "s4", "output"], batch(2)) == {
        "c1": (2, 6, 24, 24), "s2": (2, 6, 12, 12), "c3": (2, 12, 8, 8), "s4": (2, 12, 4, 4),
        "output": (2, 10)}
    assert model.num_parameters() == 3_898


@pytest.mark.parametrize("name", sorted(MODELS))
def test_same_seed_same_weights_other_seed_other_weights(name):
    a, b, c = build_model(name, seed=7), build_model(name, seed=7), build_model(name, seed=8)
    for (ka, pa), (_, pb), (_, pc) in zip(a.named_parameters(), b.named_parameters(),
                                          c.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        if np.any(pa.data != 0):
            assert not np.array_equal(pa.data, pc.data), ka
    assert a.config == build_model(name, **a.config).config


def test_cross_entropy_models_use_labels():
    model = LeNet5(seed=0)
    logits = model(batch(2))
    p = np.exp(logits.data - logits.data.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = -np.log(p[[0, 1], [4, 7]]).mean()
    np.testing.assert_allclose(model.loss(logits, np.array([4, 7])).item(), expected, rtol=1e-5)


def test_few_hundred_steps_on_embedded_data_bring_the_loss_down():
    from tinygrad_cnn.data import DataLoader, load_embedded_mnist, normalize
    data = load_embedded_mnist()
    loader = DataLoader(normalize(data.train_images[:4000]), data.train_labels[:4000], 32,
                        shuffle=True, seed=0)
    model = FiveLayerReLUCNN(seed=0)
    opt = Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(2):                                   # 2 × 125 = 250 steps of 32 images
        for xb, yb in loader:
            loss = model.loss(model(Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert len(losses) == 250
    assert np.mean(losses[:5]) > 2.0                      # ≈ ln 10 at the start
    assert np.mean(losses[-25:]) < 0.5
