"""Optimizer updates against hand-computed values, against PyTorch, and resuming from state."""
import numpy as np
import pytest

from tinygrad_cnn.nn import Parameter
from tinygrad_cnn.optim import SGD, Adam, AdamW, lr_scheduler


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
    assert b not in opt.state and set(opt.state[a]) == {"step", "exp_avg", "exp_avg_sq"}


def test_zero_grad_sets_none_or_zeros_in_place():
    p = Parameter(np.ones(2))
    opt = SGD([p], lr=1.0)
    (p * 2.0).sum().backward()
    assert p.grad is not None
    opt.zero_grad()
    assert p.grad is None
    (p * 2.0).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and (grad == 0).all()


def test_errors_name_the_problem():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="nesterov"):
        SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, expected a Tensor"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf tensor"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="appears in more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match=r"unknown hyperparameters \['betas'\]"):
        SGD([{"params": [p], "betas": (0.9, 0.9)}], lr=0.1)
    with pytest.raises(ValueError, match="Adam: need lr >= 0"):
        Adam([p], lr=-1)


@pytest.mark.parametrize("make", [
    lambda p: SGD(p, lr=0.05, momentum=0.9),
    lambda p: Adam(p, lr=0.01, weight_decay=0.1),
    lambda p: Adam(p, lr=0.01, amsgrad=True),
])
@pytest.mark.parametrize("flat", [False, True])
def test_resume_from_state_dict_continues_identically(make, flat):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(4).astype(np.float32) for _ in range(5)]
    straight = run(make, grads, w0=np.zeros(4))[-1]

    w = Parameter(np.zeros(4))
    first = make([w])
    for g in grads[:2]:
        w.grad = g
        first.step()
    saved = first.flat_state_dict() if flat else first.state_dict()
    if flat:
        assert all(isinstance(v, np.ndarray) for v in saved.values())
    else:
        assert set(saved) == {"state", "param_groups"} and saved["param_groups"][0]["params"] == [0]
    first.step()                              # the saved dict is a copy, not a view
    resumed = make([w])
    w.data[...] = run(make, grads[:2], w0=np.zeros(4))[-1]
    resumed.lr = 123.0                       # restored from the state dict
    resumed.load_state_dict(saved)
    assert resumed.lr == make([Parameter(np.zeros(1))]).lr
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
    state = opt.flat_state_dict()
    with pytest.raises(ValueError, match=r"'state.0.momentum_buffer' has shape \(2,\), expected \(3,\)"
                                         r" \(parameter c1.bias\)"):
        opt.load_state_dict({**state, "state.0.momentum_buffer": np.zeros(2)})
    with pytest.raises(ValueError, match="unexpected key 'state.1.momentum_buffer'"):
        opt.load_state_dict({**state, "state.1.momentum_buffer": np.zeros(3)})
    with pytest.raises(ValueError, match=r"missing hyperparameters \['lr'\]"):
        opt.load_state_dict({k: v for k, v in state.items() if k != "param_groups.0.lr"})
    with pytest.raises(ValueError, match="2 parameter groups given for 1"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 1.0}, {"lr": 1.0}]})


def test_older_flat_checkpoint_format_still_loads():
    p = Parameter(np.ones(2))
    opt = Adam([p], lr=0.5)
    opt.load_state_dict({"lr": np.asarray(0.25), "beta1": np.asarray(0.8), "beta2": np.asarray(0.9),
                         "eps": np.asarray(1e-6), "weight_decay": np.asarray(0.0),
                         "state.0.step": np.asarray(3), "state.0.exp_avg": np.ones(2),
                         "state.0.exp_avg_sq": np.ones(2)})
    assert opt.lr == 0.25 and opt.param_groups[0]["betas"] == (0.8, 0.9)
    assert int(opt.state[p]["step"]) == 3 and opt.state[p]["exp_avg"].dtype == np.float32


def test_param_groups_have_their_own_hyperparameters():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = b.grad = np.ones(2, dtype=np.float32)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9, rtol=1e-6)
    np.testing.assert_allclose(b.data, 0.5, rtol=1e-6)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


@pytest.mark.parametrize("ours, theirs", [
    (lambda p: SGD(p, lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    (lambda p: SGD(p, lr=0.1, momentum=0.8, nesterov=True),
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True)),
    (lambda p: Adam(p, lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01)),
    (lambda p: Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
     lambda t, p: t.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.3, maximize=True),
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    (lambda p: Adam(p, lr=0.05, amsgrad=True, maximize=True),
     lambda t, p: t.optim.Adam(p, lr=0.05, amsgrad=True, maximize=True)),
    (lambda p: AdamW(p, lr=0.05), lambda t, p: t.optim.AdamW(p, lr=0.05)),
    (lambda p: AdamW(p, lr=0.05, weight_decay=0.3, amsgrad=True),
     lambda t, p: t.optim.AdamW(p, lr=0.05, weight_decay=0.3, amsgrad=True)),
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


SCHEDULES = [
    (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
     lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[5, 2, 7], gamma=0.3),
     lambda t, o: t.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 2, 7], gamma=0.3)),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
     lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
     lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01)),
    (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
     lambda t, o: t.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))),
]


@pytest.mark.parametrize("ours, theirs", SCHEDULES)
def test_lr_schedulers_match_pytorch(ours, theirs):
    torch = pytest.importorskip("torch")
    opt = SGD([{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))], "lr": 0.3}],
              lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))]},
                            {"params": [torch.nn.Parameter(torch.ones(1))], "lr": 0.3}],
                           lr=0.1, momentum=0.9)
    sched, tsched = ours(opt), theirs(torch, topt)
    for _ in range(10):
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-9)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                   [g["lr"] for g in topt.param_groups], rtol=1e-9)
        topt.step()
        sched.step()
        tsched.step()


def test_scheduler_state_dict_resumes():
    opt = SGD([Parameter(np.ones(1))], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    assert saved["last_epoch"] == 3 and "optimizer" not in saved
    opt2 = SGD([Parameter(np.ones(1))], lr=1.0)
    sched2 = lr_scheduler.StepLR(opt2, step_size=2, gamma=0.1)
    sched2.load_state_dict(saved)
    opt2.load_state_dict(opt.state_dict())     # the lr moves on from the group's, as in PyTorch
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [pytest.approx(0.01)]
    assert opt2.lr == pytest.approx(0.01)
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
