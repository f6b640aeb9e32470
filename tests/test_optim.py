"""Optimizer updates against hand-computed values, against PyTorch, and resuming from state."""
import numpy as np
import pytest

from tinygrad_cnn import Tensor
from tinygrad_cnn.nn import Parameter
from tinygrad_cnn.optim import SGD, Adam


def run(opt_factory, grads, w0=(1.0, 1.0)):
    """Apply the optimizer with the given gradient sequence; return the weights after each step."""
    w = Parameter(np.array(w0))
    opt = opt_factory([w])
    out = []
    for g in grads:
        w.grad = np.array(g, dtype=np.float32)
        opt.step()
        out.append(w.data.copy())
    return out


def test_sgd_plain_step():
    (w1,) = run(lambda p: SGD(p, lr=0.1), [[1.0, -2.0]])
    np.testing.assert_allclose(w1, [0.9, 1.2], rtol=1e-6)   # w − lr·g


def test_sgd_momentum_matches_hand_computed():
    # v1 = g; v_t = 0.9 v + g;  w ← w − 0.1 v
    # v: [1,-2] → [1.9,-3.8] → [2.71,-5.42];  w: [0.9,1.2] → [0.71,1.58] → [0.439,2.122]
    ws = run(lambda p: SGD(p, lr=0.1, momentum=0.9), [[1.0, -2.0]] * 3)
    np.testing.assert_allclose(ws, [[0.9, 1.2], [0.71, 1.58], [0.439, 2.122]], rtol=1e-6)


def test_sgd_nesterov_with_weight_decay_matches_hand_computed():
    # g = ∇ + 0.5 w; v as momentum; step uses g + 0.9 v
    # step 1: g = [1.5,-1.5], v = g, g+0.9v = [2.85,-2.85] → w = [0.715, 1.285]
    # step 2: g = [1.3575,-1.3575], v = [2.7075,-2.7075], g+0.9v = ±3.79425 → w = [0.335575, 1.664425]
    ws = run(lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True),
             [[1.0, -2.0]] * 2)
    np.testing.assert_allclose(ws, [[0.715, 1.285], [0.335575, 1.664425]], rtol=1e-6)


def test_adam_matches_hand_computed():
    # step 1, g = 1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1 → w = 1 − 0.1 = 0.9
    # step 2, g = 3: m = 0.39, v = 0.009999, m̂ = 0.39/0.19, v̂ = 0.009999/0.001999
    #   → w = 0.9 − 0.1·m̂/(√v̂ + 1e-8) = 0.8082218885
    ws = run(lambda p: Adam(p, lr=0.1), [[1.0], [3.0]], w0=(1.0,))
    np.testing.assert_allclose(np.concatenate(ws), [0.9, 0.8082218885], rtol=1e-6)


def test_adam_weight_decay_is_added_to_the_gradient():
    # g = 1 + 0.5·w0 = 1.5 > 0; first Adam step moves by lr in the sign of g
    ws = run(lambda p: Adam(p, lr=0.1, weight_decay=0.5), [[1.0]], w0=(1.0,))
    np.testing.assert_allclose(ws[0], [0.9], rtol=1e-6)
    ws = run(lambda p: Adam(p, lr=0.1, weight_decay=0.5), [[-0.5]], w0=(1.0,))    # g = 0: no move
    np.testing.assert_array_equal(ws[0], [1.0])


def test_step_is_in_place_float32_and_skips_parameters_without_grad():
    a, b = Parameter(np.ones(3)), Parameter(np.ones(2))
    buffer = a.data
    opt = Adam([a, b], lr=0.1)
    a.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert a.data is buffer and a.dtype == np.float32
    np.testing.assert_allclose(a.data, 0.9, rtol=1e-6)
    np.testing.assert_array_equal(b.data, 1.0)
    assert opt.state[1] == {}


def test_zero_grad_sets_none():
    p = Parameter(np.ones(2))
    opt = SGD([p], lr=1.0)
    (p * 2.0).sum().backward()
    assert p.grad is not None
    opt.zero_grad()
    assert p.grad is None


def test_errors_name_the_problem():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="nesterov"):
        SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad"):
        SGD([Tensor(np.ones(2))], lr=0.1)


@pytest.mark.parametrize("make", [
    lambda p: SGD(p, lr=0.05, momentum=0.9),
    lambda p: Adam(p, lr=0.01, weight_decay=0.1),
])
def test_resume_from_state_dict_continues_identically(make):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(4).astype(np.float32) for _ in range(5)]
    straight = run(make, grads, w0=np.zeros(4))[-1]

    w = Parameter(np.zeros(4))
    first = make([w])
    for g in grads[:2]:
        w.grad = g
        first.step()
    saved = first.state_dict()
    assert all(isinstance(v, np.ndarray) for v in saved.values())
    resumed = make([w])
    resumed.lr = 123.0                       # restored from the state dict
    resumed.load_state_dict(saved)
    assert resumed.lr == first.lr
    for g in grads[2:]:
        w.grad = g
        resumed.step()
    np.testing.assert_array_equal(w.data, straight)


def test_load_state_dict_rejects_bad_entries():
    p = Parameter(np.ones(3))
    p.name = "c1.bias"
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"'state.0.momentum_buffer' has shape \(2,\), expected \(3,\) \(parameter c1.bias\)"):
        opt.load_state_dict({**state, "state.0.momentum_buffer": np.zeros(2)})
    with pytest.raises(ValueError, match="unexpected key 'state.1.momentum_buffer'"):
        opt.load_state_dict({**state, "state.1.momentum_buffer": np.zeros(3)})
    with pytest.raises(ValueError, match=r"missing hyperparameters \['lr'\]"):
        opt.load_state_dict({k: v for k, v in state.items() if k != "lr"})




@pytest.mark.parametrize("ours, theirs", [
    (lambda p: SGD(p, lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    (lambda p: SGD(p, lr=0.1, momentum=0.8, nesterov=True),
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True)),
    (lambda p: Adam(p, lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01)),
    (lambda p: Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
     lambda t, p: t.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
])
def test_matches_pytorch(ours, theirs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(6)]
    ws = run(ours, grads, w0=w0)
    tw = torch.nn.Parameter(torch.tensor(w0))
    topt = theirs(torch, [tw])
    for g, w in zip(grads, ws):
        tw.grad = torch.tensor(g)
        topt.step()
        np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-5, atol=1e-6)
