"""nn: parameter registration and names, layer shapes and parameter counts, initialisation,
modes, state dicts and error messages."""
import math

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn


def x_of(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(0)),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(4 * 4 * 4, 3, rng=np.random.default_rng(1))

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_parameter_is_a_float32_leaf_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float32
    assert p.grad_fn is None


def test_parameter_names_are_module_paths():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "features.0.weight", "features.0.bias", "head.weight", "head.bias"]
    assert [p.name for p in net.parameters()] == [n for n, _ in net.named_parameters()]
    # set on assignment already, before any parameters() call
    fresh = Net()
    assert fresh.features[0].weight.name == "features.0.weight"
    # and refreshed from the top when a name was changed by hand
    fresh.head.bias.name = "junk"
    fresh.parameters()
    assert fresh.head.bias.name == "head.bias"


def test_parameter_names_reach_the_graph():
    net = Net()
    out = net(x_of(2, 1, 8, 8))
    leaves = {t.name for t in out.graph().tensors if t.grad_fn is None and t.name}
    assert leaves == {"features.0.weight", "features.0.bias", "head.weight", "head.bias"}


def test_shared_parameter_listed_once():
    net = Net()
    net.tied = net.head          # the same Linear under two names
    assert len(net.parameters()) == 4


@pytest.mark.parametrize("layer, in_shape, out_shape, n_params", [
    (lambda: nn.Conv2d(1, 6, 5, padding=2), (2, 1, 28, 28), (2, 6, 28, 28), 6 * 25 + 6),
    (lambda: nn.Conv2d(6, 16, 5), (2, 6, 14, 14), (2, 16, 10, 10), 16 * 6 * 25 + 16),
    (lambda: nn.Conv2d(3, 4, (3, 1), stride=2, bias=False), (2, 3, 9, 9), (2, 4, 4, 5), 4 * 3 * 3),
    (lambda: nn.Linear(400, 120), (5, 400), (5, 120), 400 * 120 + 120),
    (lambda: nn.MaxPool2d(2), (2, 6, 28, 28), (2, 6, 14, 14), 0),
    (lambda: nn.AvgPool2d(3, stride=1), (2, 2, 5, 5), (2, 2, 3, 3), 0),
    (lambda: nn.Subsample(6), (2, 6, 24, 24), (2, 6, 12, 12), 12),
    (lambda: nn.ReLU(), (3, 4), (3, 4), 0),
    (lambda: nn.Sigmoid(), (3, 4), (3, 4), 0),
    (lambda: nn.Tanh(), (3, 4), (3, 4), 0),
    (lambda: nn.Flatten(), (2, 16, 5, 5), (2, 400), 0),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 26 * 26, 10)),
     (2, 1, 28, 28), (2, 10), 2 * 9 + 2 + 2 * 26 * 26 * 10 + 10),
])
def test_output_shape_and_parameter_count(layer, in_shape, out_shape, n_params):
    m = layer()
    y = m(x_of(*in_shape))
    assert y.shape == out_shape and y.dtype == np.float32
    assert m.num_parameters() == n_params == sum(p.data.size for p in m.parameters())


def test_layers_compute_their_formula():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = x_of(2, 2, 5, 5)
    np.testing.assert_array_equal(conv(x).data, F.conv2d(x, conv.weight, conv.bias, padding=1).data)
    lin = nn.Linear(4, 3)
    v = x_of(5, 4)
    np.testing.assert_allclose(lin(v).data, v.data @ lin.weight.data.T + lin.bias.data, rtol=1e-6)
    np.testing.assert_allclose(nn.Tanh()(v).data, np.tanh(v.data), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(v).data, 1 / (1 + np.exp(-v.data)), rtol=1e-6)
    np.testing.assert_array_equal(nn.ReLU()(v).data, np.maximum(v.data, 0))


def test_subsample_starts_as_mean_pooling_and_trains_beta_and_bias():
    sub = nn.Subsample(3)
    x = x_of(2, 3, 6, 6)
    np.testing.assert_allclose(sub(x).data, nn.AvgPool2d(2)(x).data, rtol=1e-6, atol=1e-7)
    sub(x).sum().backward()
    np.testing.assert_allclose(sub.bias.grad, np.full(3, 2 * 3 * 3))        # Σ δ over N·H·W
    np.testing.assert_allclose(sub.beta.grad, x.data.sum(axis=(0, 2, 3)), rtol=1e-5)


def test_default_init_is_pytorch_kaiming_uniform():
    conv = nn.Conv2d(6, 16, 5, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(6 * 25)                       # U(±1/√fan_in) for weight and bias
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.9 * bound
    assert abs(conv.weight.data.std() - bound / math.sqrt(3)) < 0.05 * bound
    same = nn.Conv2d(6, 16, 5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(conv.weight.data, same.weight.data)


def test_xavier_uniform_bound():
    lin = nn.Linear(192, 10)
    nn.init.xavier_uniform_(lin.weight, rng=np.random.default_rng(0))
    bound = math.sqrt(6 / (192 + 10))
    assert bound * 0.95 < np.abs(lin.weight.data).max() <= bound
    conv = nn.Conv2d(6, 12, 5)
    assert nn.init.fans(conv.weight) == (6 * 25, 12 * 25)
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(12,\)"):
        nn.init.fans(conv.bias)


def test_masked_conv_keeps_masked_weights_zero_and_their_gradients_zero():
    table = np.array([[1, 0, 1], [0, 1, 1]], dtype=bool)        # (in 2, out 3)
    conv = nn.Conv2d(2, 3, 3, connections=table)
    dead = ~table.T                                              # (out, in)
    assert np.all(conv.weight.data[dead] == 0) and np.all(conv.weight.data[~dead] != 0)
    conv(x_of(2, 2, 5, 5)).sum().backward()
    assert np.all(conv.weight.grad[dead] == 0) and np.all(conv.weight.grad[~dead] != 0)
    assert "connections=4/6" in repr(conv)
    with pytest.raises(ValueError, match=r"connection table of shape \(3, 2\).*\(2, 3\)"):
        nn.Conv2d(2, 3, 3, connections=table.T)


def test_train_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for _, m in net.named_modules())
    net.train()
    assert all(m.training for _, m in net.named_modules())
    assert [p for p, _ in net.named_modules()] == ["", "features", "features.0", "features.1",
                                                   "features.2", "head"]


def test_state_dict_round_trip_copies():
    a, b = Net(), Net()
    nn.init.uniform_(b.head.weight, -1, 1, rng=np.random.default_rng(5))
    state = a.state_dict()
    assert list(state) == ["features.0.weight", "features.0.bias", "head.weight", "head.bias"]
    state["head.bias"][:] = 7.0                 # a copy: the model is unchanged
    assert not np.any(a.head.bias.data == 7.0)
    b.load_state_dict(a.state_dict())
    x = x_of(2, 1, 8, 8)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    net = Net()
    state = net.state_dict()
    before = net.head.weight.data.copy()
    bad = dict(state)
    del bad["head.bias"]
    bad["head.extra"] = np.zeros(3)
    bad["features.0.weight"] = np.zeros((4, 1, 5, 5))
    bad["head.weight"] = np.ones_like(state["head.weight"])
    with pytest.raises(ValueError) as err:
        net.load_state_dict(bad)
    msg = str(err.value)
    assert "missing keys ['head.bias']" in msg
    assert "unexpected keys ['head.extra']" in msg
    assert "features.0.weight has shape (4, 1, 5, 5) in the state dict but (4, 1, 3, 3)" in msg
    np.testing.assert_array_equal(net.head.weight.data, before)     # nothing copied
    missing, unexpected = net.load_state_dict({"head.bias": np.ones(3)}, strict=False)
    assert "head.weight" in missing and unexpected == []
    np.testing.assert_array_equal(net.head.bias.data, 1.0)


def test_repr_lists_layers_shapes_and_total():
    text = repr(Net())
    assert "(features): Sequential(" in text
    assert "(0): Conv2d(1, 4, kernel_size=(3, 3), padding=(1, 1))  [weight (4, 1, 3, 3), bias (4,)]" in text
    assert "(head): Linear(64, 3)  [weight (3, 64), bias (3,)]" in text
    assert text.endswith(f"{4 * 9 + 4 + 64 * 3 + 3:,} parameters")


def test_layer_errors_name_the_layer_and_shapes():
    net = Net()
    with pytest.raises(ValueError, match=r"features\.0 = Conv2d\(1, 4.*input of shape "
                                         r"\(2, 3, 8, 8\); expected \(N, 1, H, W\)"):
        net(x_of(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"head = Linear\(64, 3\): input of shape \(2, 100\); "
                                         r"expected \(N, 64\)"):
        net(x_of(2, 1, 10, 10))
    with pytest.raises(TypeError, match="item 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)


def test_assigning_before_super_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError,
                       match=r"Bad: call super\(\)\.__init__\(\) before assigning the Parameter .w."):
        Bad()


# -- PyTorch's Module API ---------------------------------------------------------------------
def test_nn_functional_is_the_functional_api():
    import tinygrad_cnn.functional as F1
    import tinygrad_cnn.nn.functional as F2
    for name in F1.__all__:
        assert getattr(F2, name) is getattr(F1, name), name
    assert {"conv_transpose2d", "cross_entropy", "batch_norm", "dropout", "pad"} <= set(F2.__all__)


def test_sequential_indexing_len_iteration_append_and_slices():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b and list(seq) == [a, b]
    seq.append(c)
    assert len(seq) == 3 and seq[2] is c and [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        seq[3]
    v = x_of(2, 3)
    np.testing.assert_allclose(seq(v).data, 1 / (1 + np.exp(-np.tanh(np.maximum(v.data, 0)))), rtol=1e-6)
    del seq[0]
    assert list(seq) == [b, c] and [n for n, _ in seq.named_children()] == ["0", "1"]


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
            self.layers.append(nn.Linear(3, 1))

    s = Stack()
    assert len(s.layers) == 3 and isinstance(s.layers[-1], nn.Linear)
    assert [n for n, _ in s.named_parameters()] == [
        f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    s.layers.insert(0, nn.Identity())
    assert [n for n, _ in s.named_parameters()][0] == "layers.1.weight"


def test_parameter_listings_are_lists_that_also_answer_next():
    net = Net()
    params = net.parameters()
    assert len(params) == 4 and params[0] is net.features[0].weight
    assert next(net.parameters()) is net.features[0].weight          # PyTorch's idiom
    assert next(net.named_parameters())[0] == "features.0.weight"
    assert list(params) == list(params)                               # iterating does not consume


def test_children_modules_apply_and_requires_grad():
    net = Net()
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "Linear"]
    assert [n for n, _ in net.named_children()] == ["features", "head"]
    assert len(list(net.modules())) == 6
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Conv2d", "ReLU", "MaxPool2d", "Sequential", "Linear", "Net"]   # children first
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad_sets_none_by_default_or_zeros():
    net = Net()
    net(x_of(2, 1, 8, 8)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_buffers_are_state_but_not_parameters():
    bn = nn.BatchNorm2d(3)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    m = nn.Module()
    m.register_buffer("kept", np.ones(2))
    m.register_buffer("scratch", np.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["kept"] and len(m.buffers()) == 2


def test_batch_norm_running_statistics_train_and_eval():
    bn = nn.BatchNorm2d(2, momentum=0.5)
    x = x_of(4, 2, 3, 3)
    y = bn(x)
    mean, var = x.data.mean(axis=(0, 2, 3)), x.data.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.data, 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.5 + 0.5 * var * 36 / 35, rtol=1e-5)   # unbiased
    assert int(bn.num_batches_tracked.data) == 1
    bn.eval()
    expected = (x.data - bn.running_mean.data.reshape(1, -1, 1, 1)) / np.sqrt(
        bn.running_var.data.reshape(1, -1, 1, 1) + 1e-5)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-5, atol=1e-6)
    assert int(bn.num_batches_tracked.data) == 1                  # eval does not count batches
    state = bn.state_dict()
    other = nn.BatchNorm2d(2)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.running_var.data, bn.running_var.data)
    with pytest.raises(ValueError, match=r"input of shape \(4, 3, 3, 3\); expected \(N, 2, H, W\)"):
        bn(x_of(4, 3, 3, 3))


def test_dropout_is_seeded_scaled_and_off_in_eval():
    from tinygrad_cnn import random
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50), dtype=np.float32))
    random.manual_seed(0)
    a = drop(x).data
    random.manual_seed(0)
    np.testing.assert_array_equal(a, drop(x).data)
    assert set(np.unique(a)) == {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.02
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_init_gains_and_fan_modes():
    w = nn.Parameter(np.zeros((400, 300)))
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=np.random.default_rng(0))
    assert abs(w.data.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh"), generator=np.random.default_rng(1))
    assert abs(w.data.std() - 5 / 3 * math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700) * 5 / 3
    nn.init.kaiming_uniform_(w, generator=np.random.default_rng(2))      # a=0: bound √(6/fan_in)
    assert math.sqrt(6 / 300) * 0.99 < np.abs(w.data).max() <= math.sqrt(6 / 300)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    nn.init.ones_(w)
    assert np.all(w.data == 1) and w.dtype == np.float32
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        nn.init.kaiming_uniform_(w, mode="fan_avg")


def test_init_draws_from_the_package_generator():
    from tinygrad_cnn import random
    random.manual_seed(11)
    a = nn.Conv2d(2, 3, 3).weight.data.copy()
    random.manual_seed(11)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.data, a)
    gen = random.Generator().manual_seed(11)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3, generator=gen).weight.data, a)


def test_conv_layers_keywords():
    same = nn.Conv2d(2, 4, 4, padding="same", dilation=2, groups=2)
    assert same(x_of(1, 2, 7, 6)).shape == (1, 4, 7, 6)
    assert same.weight.shape == (4, 1, 4, 4)
    assert nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect")(x_of(1, 2, 5, 5)).shape == (1, 4, 5, 5)
    assert nn.Conv1d(3, 6, 3, padding=1, groups=3)(x_of(2, 3, 10)).shape == (2, 6, 10)
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    assert up(x_of(1, 4, 5, 5)).shape == (1, 2, 9, 9)
    assert up(x_of(1, 4, 5, 5), output_size=(10, 10)).shape == (1, 2, 10, 10)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(2, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="groups=3 must be a positive int dividing"):
        nn.Conv2d(2, 4, 3, groups=3)


def test_pooling_flatten_and_loss_layers():
    x = x_of(2, 3, 6, 6)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    unpooled = nn.MaxUnpool2d(2)(out, idx)
    np.testing.assert_array_equal(unpooled.data.max(axis=(2, 3)), out.data.max(axis=(2, 3)))
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    pool = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    assert pool(x).shape == (2, 3, 4, 4)
    assert nn.Flatten(0, 1)(x).shape == (6, 6, 6)
    assert nn.Unflatten(1, (3, 36))(nn.Flatten()(x)).shape == (2, 3, 36)
    logits, labels = x_of(4, 5), np.array([0, 3, 4, 1])
    np.testing.assert_allclose(nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels).data,
                               F.cross_entropy(logits, labels, label_smoothing=0.1).data)
    assert nn.MSELoss(reduction="none")(logits, logits * 2).shape == (4, 5)
    assert nn.LeakyReLU(0.2)(Tensor(np.array([-1.0, 2.0]))).data.tolist() == [-0.2, 2.0]
    assert nn.Softmax(dim=1)(logits).data.sum(axis=1) == pytest.approx(np.ones(4))
    assert nn.Identity(3, foo=1)(logits) is logits


def test_module_to_double_keeps_the_parameter_objects():
    net = Net()
    weight = net.head.weight
    assert net.double() is net and net.head.weight is weight and weight.dtype == np.float64
    assert net(x_of(2, 1, 8, 8).double()).dtype == np.float64
    bn = nn.BatchNorm1d(3).to("cpu", np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    with pytest.raises(RuntimeError, match="device or dtype 'cuda' is not available"):
        net.to("cuda")


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(x_of(1, 4, 5, 5), x_of(6, 2, 3, 3), groups=3),
     ValueError, r"conv2d: input \(1, 4, 5, 5\) has 4 channels but weight \(6, 2, 3, 3\) expects 6"),
    (lambda: F.conv2d(x_of(1, 4, 5, 5), x_of(6, 2, 3, 3), padding="full"),
     ValueError, r"conv2d: padding must be an int, a pair, 'valid' or 'same', got 'full'"),
    (lambda: F.conv_transpose2d(x_of(1, 4, 5, 5), x_of(4, 2, 3, 3), stride=2, output_padding=2),
     ValueError, r"conv_transpose2d: output_padding \(2, 2\) must be smaller than either stride"),
    (lambda: F.conv1d(x_of(1, 4, 5), x_of(2, 4, 3, 3)),
     ValueError, r"conv1d: expected weight of shape \(out_channels, in_channels/groups, k\)"),
    (lambda: F.max_unpool2d(x_of(1, 1, 2, 2), Tensor(np.array([[[[0, 1], [2, 99]]]])), 2),
     ValueError, r"max_unpool2d: index 99 is out of range for an output plane of 4×4"),
    (lambda: F.adaptive_avg_pool2d(x_of(1, 1, 4, 4), (1, 2, 3)),
     ValueError, r"adaptive_avg_pool2d: output_size must be an int or a pair"),
    (lambda: F.pad(x_of(2, 3), (1, 2, 3)), ValueError, r"pad: pad \(1, 2, 3\) must be an even number"),
    (lambda: F.pad(x_of(1, 2, 3), (3, 0), mode="reflect"),
     ValueError, r"pad: mode 'reflect' needs 0 <= padding <= 2 for a dimension of size 3"),
    (lambda: F.dropout(x_of(2, 3), p=-0.1), ValueError, r"dropout: probability has to be between 0 and 1"),
    (lambda: F.cross_entropy(x_of(4, 3, 2), np.zeros(4, dtype=np.int64)),
     ValueError, r"cross_entropy: labels of shape \(4,\) do not match logits \(4, 3, 2\); expected \(4, 2\)"),
    (lambda: F.cross_entropy(x_of(4, 3), np.zeros(4, dtype=np.int64), weight=np.ones(2)),
     ValueError, r"cross_entropy: weight of shape \(2,\) for input \(4, 3\); expected one weight per class"),
    (lambda: F.cross_entropy(x_of(4, 3), np.zeros(4, dtype=np.int64), reduction="avg"),
     ValueError, r"cross_entropy: 'avg' is not a valid value for reduction"),
    (lambda: F.cross_entropy(x_of(4, 3), np.array([0, 1, 2, 3])),
     IndexError, r"cross_entropy: label 3 is out of range for logits \(4, 3\); expected 0..2"),
    (lambda: F.nll_loss(x_of(4, 3), np.array([0, 1, 2, 0]), ignore_index=5, label_smoothing=0.1),
     TypeError, r"label_smoothing"),
    (lambda: F.l1_loss(x_of(4, 3), x_of(3, 4)),
     ValueError, r"l1_loss: prediction shape \(4, 3\) and target shape \(3, 4\) differ"),
    (lambda: F.binary_cross_entropy_with_logits(x_of(4, 3), x_of(4, 3), pos_weight=np.ones(4)),
     ValueError, r"binary_cross_entropy_with_logits: pos_weight of shape \(4,\) does not broadcast"),
    (lambda: F.batch_norm(x_of(1, 3), None, None, training=True),
     ValueError, r"batch_norm: expected more than 1 value per channel when training"),
    (lambda: F.batch_norm(x_of(4, 3), np.zeros(2), np.ones(2)),
     ValueError, r"batch_norm: running_mean of shape \(2,\) for input \(4, 3\); expected"),
])
def test_functional_errors_name_the_op_the_shapes_and_the_expectation(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout2d_drops_whole_channels():
    from tinygrad_cnn import random
    random.manual_seed(4)
    x = Tensor(np.ones((8, 16, 3, 3), dtype=np.float32), requires_grad=True)
    y = nn.Dropout2d(0.5)(x)
    per_map = y.data.reshape(8, 16, -1)
    assert np.all((per_map == 0).all(axis=2) | (per_map == 2).all(axis=2))   # a map is kept or not
    assert 0.3 < (per_map[:, :, 0] == 0).mean() < 0.7
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)      # δ passes exactly where the map was kept


def test_calls_tag_their_graph_nodes_with_the_module_path():
    net = Net()
    x = x_of(2, 1, 8, 8)
    x.requires_grad_(True)
    out = net(x)
    tags = {node.op: getattr(node, "module", None) for node in out.graph().nodes}
    assert tags["conv2d"] == "features.0" and tags["relu"] == "features.1"
    assert tags["max_pool2d"] == "features.2" and tags["linear"] == "head"
    assert getattr(out.grad_fn, "module", None) == "head"
