"""Tests that pin engine, optimizer and scheduler behaviour found unpinned by mutation testing,
compared with PyTorch where the API is the same.

The engine: the backward walk, `autograd.grad` (its keywords: several outputs, grad_outputs,
retain_graph, allow_unused), hooks and Graph printing; the optimizers and `optim.lr_scheduler`
(PyTorch's rules, defaults and resuming with last_epoch); gradcheck, checkpoint files, IDX reading.
"""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_cnn import Graph, Tensor, autograd, optim
from tinygrad_cnn.nn import Parameter
from tinygrad_cnn.optim import SGD, AdamW, lr_scheduler

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None


def T(values, grad=True):  # noqa: N802
    return Tensor(np.array(values, dtype=np.float64), requires_grad=grad)


# -- autograd.grad ---------------------------------------------------------------------------------


def test_grad_of_a_single_tensor_input_returns_a_one_element_tuple_like_pytorch():
    from conftest import need

    torch = need("torch")
    x = T([[1.0, 2.0], [3.0, 4.0]])
    (gx,) = autograd.grad((x * x).sum(), x)
    tx = torch.tensor(x.data, requires_grad=True)
    (tgx,) = torch.autograd.grad((tx * tx).sum(), tx)
    np.testing.assert_allclose(gx.data, tgx.numpy())


def test_grad_of_several_outputs_sums_their_gradients_like_pytorch():
    from conftest import need

    torch = need("torch")
    x = T([1.0, 2.0, 3.0])
    shared = x * x                               # both outputs go through one node
    (gx,) = autograd.grad([(shared * 3.0).sum(), (shared * x).sum()], [x])
    tx = torch.tensor(x.data, requires_grad=True)
    tshared = tx * tx
    (tgx,) = torch.autograd.grad([(tshared * 3.0).sum(), (tshared * tx).sum()], [tx])
    np.testing.assert_allclose(gx.data, tgx.numpy())
    np.testing.assert_allclose(gx.data, 6 * x.data + 3 * x.data ** 2)


def test_grad_uses_the_given_grad_outputs_like_pytorch():
    from conftest import need

    torch = need("torch")
    x = T([1.0, -2.0, 3.0])
    v = np.array([0.5, 2.0, -1.0])
    (gx,) = autograd.grad(x * x, [x], grad_outputs=Tensor(v))
    tx = torch.tensor(x.data, requires_grad=True)
    (tgx,) = torch.autograd.grad(tx * tx, [tx], grad_outputs=torch.tensor(v))
    np.testing.assert_allclose(gx.data, tgx.numpy())
    y1, y2 = x * 2.0, x * x
    (gx,) = autograd.grad([y1, y2], [x], grad_outputs=[np.ones(3), v])
    np.testing.assert_allclose(gx.data, 2 + 2 * x.data * v)


def test_grad_with_one_grad_output_for_two_outputs_names_both_counts():
    x = T([1.0, 2.0])
    with pytest.raises(ValueError) as caught:
        autograd.grad([x * 2.0, x * 3.0], [x], grad_outputs=Tensor(np.ones(2)))
    assert str(caught.value) == "grad: 1 grad_outputs given for 2 outputs"


def test_grad_returns_gradients_in_the_inputs_dtype_like_pytorch():
    from conftest import need

    torch = need("torch")
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    x.register_hook(lambda g: g.astype(np.float64) * 2)      # a float64 δ reaches the float32 input
    (gx,) = autograd.grad((x * 3.0).sum(), [x])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tx.register_hook(lambda g: g * 2)
    (tgx,) = torch.autograd.grad((tx * 3.0).sum(), [tx])
    assert gx.dtype == np.float32 and str(tgx.dtype) == "torch.float32"
    np.testing.assert_array_equal(gx.data, tgx.numpy())


def test_grad_releases_the_graph_unless_retain_graph_like_pytorch():
    x = T([1.0, 2.0])
    y = (x * x).sum()
    autograd.grad(y, [x])
    with pytest.raises(RuntimeError, match="already released by an earlier backward"):
        y.backward()
    z = (x * x).sum()
    autograd.grad(z, [x], retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_grad_of_an_input_without_requires_grad_names_the_input_and_the_remedy():
    x = T([1.0, 2.0])
    c = T([3.0, 4.0], grad=False)
    with pytest.raises(RuntimeError) as caught:
        autograd.grad((x * c).sum(), [x, c])
    assert str(caught.value) == ("grad: input 1 does not require grad; every input must be a tensor "
                                 "with requires_grad=True")


def test_grad_of_an_unused_input_says_how_to_get_none():
    x, unused = T([1.0, 2.0]), T([[1.0]])
    with pytest.raises(RuntimeError) as caught:
        autograd.grad((x * 2.0).sum(), [x, unused])
    assert str(caught.value) == ("grad: input 1 (shape (1, 1)) was not used to compute the outputs; "
                                 "pass allow_unused=True to get None for it")


def test_grad_with_create_graph_says_higher_order_gradients_are_not_supported():
    x = T([1.0, 2.0])
    with pytest.raises(NotImplementedError) as caught:
        autograd.grad((x * x).sum(), [x], create_graph=True)
    assert str(caught.value) == ("grad(create_graph=True): higher-order gradients are not supported; "
                                 "gradients are NumPy arrays, not graphs")


# -- the backward walk -----------------------------------------------------------------------------


def test_backward_of_a_tensor_without_grad_says_how_to_make_leaves():
    x = T([1.0, 2.0], grad=False)
    with pytest.raises(RuntimeError) as caught:
        (x * 2.0).sum().backward()
    assert str(caught.value) == ("backward: tensor of shape () does not require grad and has no grad_fn; "
                                 "create the leaves with requires_grad=True")


def test_backward_of_a_non_scalar_without_a_grad_says_what_to_pass():
    with pytest.raises(RuntimeError) as caught:
        (T([1.0, 2.0]) * 2.0).backward()
    assert str(caught.value) == ("backward: grad can be implied only for a scalar output, got shape (2,); "
                                 "pass backward(grad=...) of that shape or reduce to a scalar (e.g. .sum()) "
                                 "first")


def test_backward_with_a_grad_of_another_shape_names_both_shapes():
    with pytest.raises(ValueError) as caught:
        (T([1.0, 2.0]) * 2.0).backward(np.ones(3))
    assert str(caught.value) == ("backward: grad of shape (3,) given for a tensor of shape (2,); "
                                 "expected the same shape")


def test_backward_takes_its_grad_as_a_list_like_pytorch_takes_a_tensor():
    x = T([1.0, 2.0])
    (x * x).backward([1.0, -3.0])
    assert x.grad.tolist() == [2.0, -12.0]


def test_backward_casts_the_given_grad_to_the_outputs_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.dtype))
    y.backward(np.ones(2))                                  # float64 grad for a float32 output
    assert seen == [np.float32] and x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_a_hook_returning_another_dtype_leaves_the_grad_in_the_tensors_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    x.register_hook(lambda g: g.astype(np.float64) / 3)
    (x * 1.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.full(2, 1 / 3, dtype=np.float32))


def test_backward_through_a_released_graph_names_the_op_and_the_remedy():
    y = (T([1.0, 2.0]) * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError) as caught:
        y.backward()
    assert str(caught.value) == ("backward: the graph through op 'sum' (output shape ()) was already "
                                 "released by an earlier backward(); call backward(retain_graph=True) the "
                                 "first time to backward through the graph a second time")


def test_backward_after_an_input_changed_in_place_names_the_input_the_op_and_the_versions():
    w, c = T([1.0, 2.0]), T([3.0, 4.0], grad=False)
    y = (w * c).sum()
    c.add_(1)
    with pytest.raises(RuntimeError) as caught:
        y.backward()
    assert str(caught.value) == ("backward: input 1 (shape (2,)) of op 'mul' was modified by an in-place "
                                 "operation after the op used it (version 0 → 1); the gradient would be "
                                 "wrong. Use an out-of-place op (x = x + y) or clone() it first")


# -- Function: custom ops --------------------------------------------------------------------------


class _Double(autograd.Function):
    def forward(self, a):
        return a * 2

    def backward(self, grad):
        return grad * 2


class _TwoGrads(_Double):
    def backward(self, grad):
        return grad * 2, grad


class _WrongShape(_Double):
    def backward(self, grad):
        return np.ones(3)


class _MulBoth(autograd.Function):
    """Returns a gradient for both inputs, asked for or not."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        return grad * b, grad * a


class _MulFirstOnly(_MulBoth):
    def backward(self, grad):
        a, b = self.saved_tensors
        return grad * b, None


def test_the_walk_drops_a_gradient_for_an_input_that_does_not_require_grad():
    x, c = T([1.0, 2.0]), T([3.0, 4.0], grad=False)
    _MulBoth.apply(x, c).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and c.grad is None


def test_the_walk_skips_an_input_whose_gradient_an_op_leaves_out():
    x, w = T([1.0, 2.0]), T([3.0, 4.0])
    (_MulFirstOnly.apply(x, w) + w * 2.0).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [2.0, 2.0]


def test_a_custom_op_wraps_arrays_and_numbers_given_to_apply():
    y = _Double.apply(np.array([1.0, 2.0]))
    assert isinstance(y, Tensor) and y.tolist() == [2.0, 4.0] and not y.requires_grad
    assert _Double.apply(1.5).item() == 3.0


def test_a_custom_ops_backward_must_return_one_gradient_per_input():
    with pytest.raises(RuntimeError) as caught:
        _TwoGrads.apply(T([1.0, 2.0])).sum().backward()
    assert str(caught.value) == ("_twograds.backward returned 2 gradients for 1 inputs; expected one per "
                                 "input (None if none)")


def test_a_custom_ops_backward_must_return_gradients_of_the_inputs_shapes():
    with pytest.raises(RuntimeError) as caught:
        _WrongShape.apply(T([1.0, 2.0])).sum().backward()
    assert str(caught.value) == ("_wrongshape.backward returned a gradient of shape (3,) for input 0 of "
                                 "shape (2,); expected the input's shape")


def test_a_node_made_by_hand_starts_empty_and_can_run_its_vjp():
    x = T([1.0, 2.0])
    node = _Double((x,), {})
    assert (node.output_shape, node.output_dtype, node.grad_norm, node.module) == ((), None, None, None)
    assert node.released is False and node.versions == () and node.saved_tensors == ()
    assert repr(node) == "_double((2,)) -> ()"
    (g,) = node.vjp(np.ones(2))
    assert g.tolist() == [2.0, 2.0]


def test_the_tensor_class_is_looked_up_on_first_use(monkeypatch):
    monkeypatch.setattr(autograd, "_TENSOR", None)
    y = _Double.apply(T([1.0]))
    assert type(y) is Tensor and autograd._TENSOR is Tensor


# -- hooks -----------------------------------------------------------------------------------------


def test_a_hook_may_return_a_python_number_for_a_scalar_gradient():
    x = T(3.0)
    x.register_hook(lambda g: float(g) * 10)
    (x * 2.0).backward()
    assert x.grad.tolist() == 20.0


# -- Graph printing and graph nodes ----------------------------------------------------------------


def test_graph_text_of_unnamed_tensors_has_no_label():
    x = T([[1.0, 2.0]])
    c = T([3.0], grad=False)
    y = x * c
    assert str(Graph(y)) == ("%0 = leaf (1, 2) float64 requires_grad\n"
                             "%1 = leaf (1,) float64\n"
                             "%2 = mul(%0, %1) (1, 2)")


def test_a_leafs_accumulate_grad_node_has_no_next_functions_like_pytorch():
    from conftest import need

    torch = need("torch")
    x = T([1.0])
    node = (x * 2.0).grad_fn.next_functions[0][0]
    tnode = (torch.ones(1, requires_grad=True) * 2.0).grad_fn.next_functions[0][0]
    assert node.name() == "AccumulateGrad" and tnode.name().endswith("AccumulateGrad")
    assert node.next_functions == tnode.next_functions == ()


# -- optimizers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_optimizer_defaults_are_pytorchs(name):
    from conftest import need

    torch = need("torch")
    ours = getattr(optim, name)([Parameter(np.ones(2))]).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))]).param_groups[0]
    for key in set(ours) - {"params"}:
        assert ours[key] == theirs[key], key


def test_optimizer_of_no_parameters_names_the_optimizer():
    with pytest.raises(ValueError) as caught:
        AdamW([])
    assert str(caught.value) == "AdamW: got an empty parameter list"


def test_a_group_may_give_a_single_tensor_as_its_params_like_pytorch():
    w = Parameter(np.ones(2))
    opt = SGD([{"params": w, "initial_lr": 0.1}], lr=0.1)     # a scheduler's key is accepted too
    assert opt.param_groups[0]["params"] == [w] and opt.param_groups[0]["initial_lr"] == 0.1


def test_optimizer_parameter_errors_name_the_optimizer_the_parameter_and_its_name():
    w = Parameter(np.ones(2))
    w.name = "fc.weight"
    with pytest.raises(TypeError) as caught:
        optim.Adam([w, np.ones(2)])
    assert str(caught.value) == "Adam: parameter 1 is a ndarray, expected a Tensor"
    y = w * 2
    y.name = "doubled"
    with pytest.raises(ValueError) as caught:
        optim.Adam([y])
    assert str(caught.value) == "Adam: can't optimize a non-leaf tensor (parameter 0, 'doubled')"
    with pytest.raises(ValueError) as caught:
        optim.Adam([{"params": [w]}, {"params": [w]}])
    assert str(caught.value) == "Adam: parameter 0 ('fc.weight') appears in more than one parameter group"
    with pytest.raises(TypeError) as caught:
        SGD([{"params": [w], "betas": (0.9, 0.99)}])
    assert str(caught.value) == ("SGD: unknown hyperparameters ['betas']; expected some of ['dampening', "
                                 "'lr', 'maximize', 'momentum', 'nesterov', 'weight_decay']")


@pytest.mark.parametrize("kwargs, shown", [
    ({"lr": -0.1}, "lr (-0.1), momentum (0.0) and weight_decay (0.0)"),
    ({"momentum": -0.5}, "lr (0.001), momentum (-0.5) and weight_decay (0.0)"),
    ({"weight_decay": -1.0}, "lr (0.001), momentum (0.0) and weight_decay (-1.0)")])
def test_sgd_refuses_each_negative_hyperparameter_naming_all_three(kwargs, shown):
    with pytest.raises(ValueError) as caught:
        SGD([Parameter(np.ones(1))], **kwargs)
    assert str(caught.value) == f"SGD: {shown} must be >= 0"


def test_sgd_accepts_a_learning_rate_of_zero_like_pytorch():
    w = Parameter(np.ones(2))
    opt = SGD([w], lr=0.0)
    w.grad = np.ones(2, dtype=np.float32)
    opt.step()
    assert w.data.tolist() == [1.0, 1.0]


def test_step_returns_the_closures_loss_and_none_without_one_like_pytorch():
    w = Parameter(np.array([3.0]))
    opt = SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step() is None
    loss = opt.step(closure)
    assert loss.item() == 9.0 and w.data.tolist() == [pytest.approx(2.4)]


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
                                  lambda p: optim.Adam(p, lr=0.01)])
def test_a_gradient_of_another_dtype_is_cast_to_the_parameters_before_the_update(make):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(1000).astype(np.float32)
    grads = [rng.standard_normal(1000) for _ in range(3)]          # float64 gradients
    results = []
    for cast in (False, True):
        w = Parameter(w0.copy())
        opt = make([w])
        for g in grads:
            w.grad = g.astype(np.float32) if cast else g
            opt.step()
        results.append(w.data)
    assert results[0].dtype == np.float32
    np.testing.assert_array_equal(results[0], results[1])


def test_adam_step_count_is_float32_like_pytorch_also_for_float64_parameters():
    w = Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    for _ in range(2):
        w.grad = np.ones(2)
        opt.step()
    step = opt.state[w]["step"]
    assert step.dtype == np.float32 and step == 2
    fresh = optim.Adam([Tensor(np.ones(2), requires_grad=True)], lr=0.1)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.state_dict()["state"][0]["step"].dtype == np.float32


# -- optimizer state dicts -------------------------------------------------------------------------


def test_state_dict_groups_end_with_their_params_like_pytorch():
    from conftest import need

    torch = need("torch")
    opt, topt = _one_group_sgd(None), _one_group_sgd(torch)
    lr_scheduler.StepLR(opt, step_size=2)
    torch.optim.lr_scheduler.StepLR(topt, step_size=2)          # both add 'initial_lr' to the group
    ours, theirs = opt.state_dict()["param_groups"][0], topt.state_dict()["param_groups"][0]
    assert list(ours)[-1] == list(theirs)[-1] == "params"
    assert ours["params"] == theirs["params"] == [0]


def test_flat_state_dict_has_one_key_per_hyperparameter_and_buffer():
    w = Parameter(np.ones(2))
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.ones(2, dtype=np.float32)
    opt.step()
    assert sorted(opt.flat_state_dict()) == [
        "param_groups.0.dampening", "param_groups.0.lr", "param_groups.0.maximize",
        "param_groups.0.momentum", "param_groups.0.nesterov", "param_groups.0.weight_decay",
        "state.0.momentum_buffer"]


def test_load_state_dict_gives_hyperparameters_back_as_python_types():
    opt = optim.Adam([Parameter(np.ones(2))], lr=0.1)
    saved = opt.state_dict()
    group = saved["param_groups"][0]
    group.update(lr=np.float32(0.5), betas=[0.8, 0.9], amsgrad=np.bool_(True), maximize=np.array(False))
    opt.load_state_dict(saved)
    loaded = opt.param_groups[0]
    assert loaded["lr"] == 0.5 and type(loaded["lr"]) is float
    assert loaded["betas"] == (0.8, 0.9) and type(loaded["betas"]) is tuple
    assert loaded["amsgrad"] is True and loaded["maximize"] is False


def test_load_state_dict_gives_a_schedulers_initial_lr_back_as_a_python_float():
    opt = SGD([Parameter(np.ones(2))], lr=0.1)
    saved = opt.state_dict()
    saved["param_groups"][0]["initial_lr"] = np.float64(0.1)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and type(opt.param_groups[0]["initial_lr"]) is float


def test_load_state_dict_without_a_state_entry_reads_it_as_flat_and_names_the_keys():
    opt = SGD([Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError) as caught:
        opt.load_state_dict({"param_groups": opt.state_dict()["param_groups"]})
    assert str(caught.value) == ("SGD.load_state_dict: unexpected key 'param_groups'; "
                                 "missing hyperparameters ['lr']")


def test_load_state_dict_of_a_group_with_other_parameters_names_both_counts():
    opt = SGD([Parameter(np.ones(2))], lr=0.1)
    saved = SGD([Parameter(np.ones(2)), Parameter(np.ones(1))], lr=0.1).state_dict()
    with pytest.raises(ValueError) as caught:
        opt.load_state_dict(saved)
    assert str(caught.value) == "SGD.load_state_dict: group 0 has 2 parameters, this optimizer's has 1"


def test_load_state_dict_lists_every_bad_buffer():
    w = Parameter(np.ones(2))
    w.name = "w"
    opt = SGD([w], lr=0.1, momentum=0.9)
    state = {5: {"momentum_buffer": np.ones(2)}, 0: {"momentum_buffer": np.ones(3)}}
    with pytest.raises(ValueError) as caught:
        opt.load_state_dict({"state": state, "param_groups": opt.state_dict()["param_groups"]})
    assert str(caught.value) == ("SGD.load_state_dict: unexpected key 'state.5.momentum_buffer'; "
                                 "'state.0.momentum_buffer' has shape (3,), expected (2,) (parameter w)")


def test_load_flat_state_dict_names_every_unexpected_key():
    opt = SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9)
    flat = {"param_groups.0.lr": np.array(0.1), "param_groups.1.lr": np.array(0.1),
            "state.0.bogus": np.ones(2), "optim.0.momentum_buffer": np.ones(2),
            "state.x.momentum_buffer": np.ones(2)}
    with pytest.raises(ValueError) as caught:
        opt.load_state_dict(flat)
    assert str(caught.value) == ("SGD.load_state_dict: unexpected key 'param_groups.1.lr'; "
                                 "unexpected key 'state.0.bogus'; unexpected key 'optim.0.momentum_buffer'; "
                                 "unexpected key 'state.x.momentum_buffer'")


def test_load_older_flat_adam_state_with_only_beta1_keeps_the_optimizers_beta2():
    opt = optim.Adam([Parameter(np.ones(2))], lr=0.1, betas=(0.5, 0.5))
    opt.load_state_dict({"lr": np.array(0.01), "beta1": np.array(0.8)})
    assert opt.param_groups[0]["betas"] == (0.8, 0.5) and opt.param_groups[0]["lr"] == 0.01


# -- lr_scheduler ----------------------------------------------------------------------------------


def _one_group_sgd(module, lr=1.0):
    if module is None:
        return SGD([Parameter(np.ones(1))], lr=lr)
    return module.optim.SGD([module.nn.Parameter(module.ones(1))], lr=lr)


@pytest.mark.parametrize("name, args", [("StepLR", (3,)), ("MultiStepLR", ([2, 4],)),
                                        ("CosineAnnealingLR", (6,))])
def test_scheduler_default_keywords_are_pytorchs(name, args):
    from conftest import need

    torch = need("torch")
    opt, topt = _one_group_sgd(None), _one_group_sgd(torch)
    sched = getattr(lr_scheduler, name)(opt, *args)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, *args)
    for _ in range(7):
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12, atol=1e-15)


RESUMED = [
    (lambda m, o: m.StepLR(o, step_size=2, gamma=0.5, last_epoch=3), lambda e: 0.5 ** (e // 2)),
    (lambda m, o: m.MultiStepLR(o, milestones=[2, 4], gamma=0.5, last_epoch=3),
     lambda e: 0.5 ** ((e >= 2) + (e >= 4))),
    # ExponentialLR and CosineAnnealingLR keep the group's lr when constructed with a last_epoch:
    # the epoch count only here; their rates are compared with PyTorch's in test_pytorch_edge_cases
    (lambda m, o: m.ExponentialLR(o, gamma=0.5, last_epoch=3), None),
    (lambda m, o: m.CosineAnnealingLR(o, T_max=8, eta_min=0.0, last_epoch=3), None),
    (lambda m, o: m.LambdaLR(o, lambda e: 1 / (e + 1), last_epoch=3), lambda e: 1 / (e + 1)),
]


@pytest.mark.parametrize("make, factor", RESUMED)
def test_scheduler_resumes_at_the_given_last_epoch_like_pytorch(make, factor):
    from conftest import need

    torch = need("torch")
    for module, opt in ((lr_scheduler, _one_group_sgd(None)), (torch.optim.lr_scheduler,
                                                               _one_group_sgd(torch))):
        group = opt.param_groups[0]
        group["initial_lr"], group["lr"] = 1.0, 0.5 if factor is None else factor(3)  # after epoch 3
        sched = make(module, opt)
        assert sched.last_epoch == 4
        if factor is None:
            continue
        np.testing.assert_allclose(sched.get_last_lr(), [factor(4)], rtol=1e-12)
        opt.step()
        sched.step()
        np.testing.assert_allclose(sched.get_last_lr(), [factor(5)], rtol=1e-12)


def test_step_lr_accepts_a_step_size_of_one():
    from conftest import need

    torch = need("torch")
    opt, topt = _one_group_sgd(None), _one_group_sgd(torch)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=1, gamma=0.5)
    for _ in range(3):
        topt.step()
        sched.step()
        tsched.step()
    assert sched.get_last_lr() == tsched.get_last_lr() == [0.125]


def test_cosine_annealing_accepts_t_max_one_and_refuses_zero():
    opt = _one_group_sgd(None)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=1, eta_min=0.25)
    sched.step()
    assert sched.get_last_lr() == [0.25]
    with pytest.raises(ValueError) as caught:
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    assert str(caught.value) == "CosineAnnealingLR: T_max must be a positive int, got 0"


def test_lambda_lr_takes_one_function_per_group_like_pytorch():
    from conftest import need

    torch = need("torch")
    lambdas = [lambda e: 0.5 ** e, lambda e: 1 / (e + 1)]
    opt = SGD([{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))], "lr": 0.3}], lr=0.1)
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))]},
                            {"params": [torch.nn.Parameter(torch.ones(1))], "lr": 0.3}], lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, tuple(lambdas))
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, lambdas)
    for _ in range(4):
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)


def test_lambda_lr_with_the_wrong_number_of_functions_names_both_counts():
    opt = SGD([{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))]}], lr=0.1)
    with pytest.raises(ValueError) as caught:
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    assert str(caught.value) == "LambdaLR: expected 2 lr_lambdas, got 1"


def test_scheduler_state_dict_leaves_out_callables():
    class Warmup(lr_scheduler.LRScheduler):
        def __init__(self, optimizer, ramp):
            self.ramp = ramp
            super().__init__(optimizer)

        def lr_at(self, base_lr, epoch):
            return base_lr * self.ramp(epoch)

    sched = Warmup(_one_group_sgd(None), lambda e: min(1.0, (e + 1) / 4))
    sched.step()
    assert sched.state_dict() == {"base_lrs": [1.0], "last_epoch": 1, "_last_lr": [0.5]}


def test_scheduler_step_with_an_epoch_jumps_there_like_pytorch():
    import warnings

    from conftest import need

    torch = need("torch")
    opt, topt = _one_group_sgd(None), _one_group_sgd(torch)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    topt.step()
    sched.step(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # PyTorch deprecates the epoch argument
        tsched.step(5)
    assert sched.last_epoch == tsched.last_epoch == 5
    assert sched.get_last_lr() == tsched.get_last_lr() == [0.25]


def test_scheduler_of_something_else_than_an_optimizer_names_both_types():
    with pytest.raises(TypeError) as caught:
        lr_scheduler.StepLR([Parameter(np.ones(1))], step_size=2)
    assert str(caught.value) == "StepLR: expected an Optimizer, got list"


def test_scheduler_resuming_without_initial_lr_names_the_group_and_the_epoch():
    opt = SGD([{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))]}], lr=0.1)
    opt.param_groups[0]["initial_lr"] = 0.1
    with pytest.raises(KeyError) as caught:
        lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert caught.value.args[0] == ("ExponentialLR: param 'initial_lr' is not specified in param_groups[1] "
                                    "when resuming (last_epoch=3)")


def test_a_chainable_scheduler_sees_no_last_lr_before_its_first_step():
    class Halving(lr_scheduler.LRScheduler):
        def get_lr(self):
            last = self.get_last_lr()
            return [lr / 2 for lr in last] if last else list(self.base_lrs)

    sched = Halving(_one_group_sgd(None, lr=0.8))
    assert sched.get_last_lr() == [0.8]
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.2]
