"""PyTorch's beginner tutorials (autograd, neural networks, training a classifier) with only the
imports changed: the same source runs against `tinygrad_cnn` and against `torch`, and the numbers
agree. Also the two things tutorial code does with `.data`/`.grad` (NumPy arrays here):
`p.data.sub_(lr * p.grad.data)` and `x.grad.zero_()`, and `save`/`load` of a state_dict."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import need

import tinygrad_cnn
import tinygrad_cnn.nn as tnn

AUTOGRAD_TUTORIAL = """
x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(W, requires_grad=True)
b = torch.tensor(B, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
loss.backward()
out_w, out_b = w.grad, b.grad
with torch.no_grad():
    z = torch.matmul(x, w) + b
no_grad_requires = z.requires_grad
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.clone()
out.backward(torch.ones_like(out), retain_graph=True)
second = inp.grad.clone()
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
after_zero = inp.grad.clone()
a = torch.tensor([2., 3.], requires_grad=True)
c = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - c**2
Q.backward(gradient=torch.tensor([1., 1.]))
checks = [bool((9 * a**2 == a.grad).all()), bool((-2 * c == c.grad).all())]
"""

NN_TUTORIAL = """
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)

net = Net()
net.load_state_dict(STATE)
params = list(net.parameters())
n_params, first_size = len(params), tuple(params[0].size())
input = torch.tensor(INPUT)
net.zero_grad()
output = net(input)
target = torch.tensor(TARGET).view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
names = [loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name(),
         loss.grad_fn.next_functions[0][0].next_functions[0][0].name()]
loss.backward()
bias_grad = net.conv1.bias.grad.clone()
for f in net.parameters():
    f.data.sub_(f.grad.data * 0.01)
import_optim = optim.SGD(net.parameters(), lr=0.01)
import_optim.zero_grad()
loss2 = criterion(net(input), target)
loss2.backward()
import_optim.step()
final = net(input).detach().numpy().copy()
values, predicted = torch.max(net(input), 1)
"""


def run(source: str, torch_module, **names):
    namespace = {"torch": torch_module, "nn": torch_module.nn,
                 "F": torch_module.nn.functional, "optim": torch_module.optim, **names}
    exec(source, namespace)
    return namespace


def arrays(value):
    return np.asarray(value.detach().numpy() if hasattr(value, "detach") else value)


def test_autograd_tutorial_gives_torch_numbers():
    torch = need("torch")
    rng = np.random.default_rng(0)
    data = dict(W=rng.standard_normal((5, 3)).tolist(), B=rng.standard_normal(3).tolist())
    ours, theirs = run(AUTOGRAD_TUTORIAL, tinygrad_cnn, **data), run(AUTOGRAD_TUTORIAL, torch, **data)
    for key in ("out_w", "out_b", "first", "second", "after_zero"):
        np.testing.assert_allclose(arrays(ours[key]), arrays(theirs[key]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(arrays(ours["second"]), 2 * arrays(ours["first"]))
    assert ours["checks"] == theirs["checks"] == [True, True]
    assert ours["no_grad_requires"] is False


def test_neural_networks_tutorial_gives_torch_numbers():
    torch = need("torch")
    rng = np.random.default_rng(1)
    # one set of weights for both: the torch net's initial state
    namespace = run(NN_TUTORIAL.split("net = Net()")[0] + "net = Net()", torch)
    torch_net_state = {k: v.detach().numpy().copy() for k, v in namespace["net"].state_dict().items()}
    data = dict(INPUT=rng.standard_normal((1, 1, 32, 32)).astype(np.float32).tolist(),
                TARGET=rng.standard_normal(10).astype(np.float32).tolist())
    ours = run(NN_TUTORIAL, tinygrad_cnn, STATE=torch_net_state, **data)
    theirs = run(NN_TUTORIAL, torch, STATE={k: torch.tensor(v) for k, v in torch_net_state.items()},
                 **data)
    assert (ours["n_params"], ours["first_size"]) == (10, (6, 1, 5, 5))
    assert (theirs["n_params"], theirs["first_size"]) == (10, (6, 1, 5, 5))
    # the same walk as PyTorch's (loss → fc3 → relu), named after our ops (PyTorch: MseLossBackward0,
    # AddmmBackward0, ReluBackward0)
    assert ours["names"] == ["MSELossBackward0", "LinearBackward0", "ReLUBackward0"]
    assert [n.lower()[:3] for n in theirs["names"]][:2] == ["mse", "add"]
    np.testing.assert_allclose(arrays(ours["bias_grad"]), arrays(theirs["bias_grad"]), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(ours["final"], theirs["final"], rtol=1e-4, atol=1e-6)
    assert arrays(ours["predicted"]).tolist() == arrays(theirs["predicted"]).tolist()


def test_data_and_grad_take_torch_in_place_names():
    w = tinygrad_cnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0, 6.0])
    w.data.sub_(w.grad.data * 0.5)                     # the manual SGD step of the tutorial
    np.testing.assert_array_equal(w.data, [0.0, 0.0, 0.0])
    assert w.requires_grad and w.grad_fn is None
    w.data.add_(1.0, alpha=2.0)
    np.testing.assert_array_equal(w.numpy() if not w.requires_grad else w.detach().numpy(), [2.0, 2.0, 2.0])
    assert w.grad.zero_() is w.grad and not w.grad.any()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])     # zeroed, then one gradient
    assert isinstance(w.grad, np.ndarray) and isinstance(w.data, np.ndarray)
    assert repr(w.grad).startswith("array(")


def test_save_load_round_trip_of_state_dicts(tmp_path):
    model = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.ReLU(), tnn.Flatten(), tnn.Linear(8, 3))
    opt = tinygrad_cnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tinygrad_cnn.randn(2, 1, 4, 4)
    model(x).sum().backward()
    opt.step()
    path = tmp_path / "model.pth"                         # PyTorch's suffix is kept, not .npz
    tinygrad_cnn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    assert path.exists() and not (tmp_path / "model.pth.npz").exists()
    loaded = tinygrad_cnn.load(path, weights_only=True)
    assert loaded["epoch"] == 3
    fresh = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.ReLU(), tnn.Flatten(), tnn.Linear(8, 3))
    fresh.load_state_dict(loaded["model"])
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    assert loaded["optimizer"]["param_groups"][0]["lr"] == 0.1
    momentum = [s["momentum_buffer"] for s in loaded["optimizer"]["state"].values()]
    assert len(momentum) == 4 and all(np.any(m) for m in momentum)


def test_load_names_a_bad_file(tmp_path):
    bad = tmp_path / "weights.pth"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"weights\.pth is not a file written by tinygrad_cnn\.save"):
        tinygrad_cnn.load(bad)
    with pytest.raises(TypeError, match=r"save: cannot store a object"):
        tinygrad_cnn.save({"x": object()}, tmp_path / "x.pth")
    assert not (tmp_path / "x.pth").exists()


@pytest.mark.parametrize("name", ["elu", "softplus", "logsigmoid"])
def test_composite_activations_match_torch_at_kinks_and_tails(name):
    """Built without comparisons (so ONNX export and any batch size see one formula); the values
    and VJPs still match PyTorch at 0, in the far tails and past softplus's threshold."""
    torch = need("torch")
    x = np.array([-100, -30, -3, -1, -0.0, 0, 0.5, 3, 19, 20.5, 30, 100], dtype=np.float32)
    ours = tinygrad_cnn.tensor(x, requires_grad=True)
    out = getattr(tinygrad_cnn.nn.functional, name)(ours)
    out.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(theirs)
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-6)
