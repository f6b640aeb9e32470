"""The epoch loop on its own: zero_grad between steps, divergence caught at the step it happens,
stopping between steps, the learning-rate schedule, the thread count."""
import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, parallel
from tinygrad_cnn.models import FiveLayerReLUCNN
from tinygrad_cnn.optim import SGD
from tinygrad_cnn.training import Diverged, TrainConfig, fit, train_epoch
from tinygrad_cnn.training.schedule import make_scheduler
from tinygrad_cnn.training.threads import ThreadGovernor


def one_batch(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n)


def test_each_step_starts_from_zero_gradients():
    """lr = 0 over two identical batches: the weights do not move, so each parameter's grad
    after the epoch must equal ONE batch's gradient (twice it if zero_grad were missing)."""
    x, y = one_batch()
    reference = FiveLayerReLUCNN(seed=1)
    reference.loss(reference(Tensor(x)), y).backward()
    expected = {name: p.grad.copy() for name, p in reference.named_parameters()}
    model = FiveLayerReLUCNN(seed=1)
    progress = train_epoch(model, SGD(model.parameters(), lr=0.0), [(x, y), (x, y)], steps=2)
    assert progress.step == 2 and progress.seen == 16
    for name, p in model.named_parameters():
        assert np.abs(expected[name]).max() > 0, name
        np.testing.assert_allclose(p.grad, expected[name], rtol=1e-5, atol=1e-7, err_msg=name)


def test_divergence_is_caught_at_its_step_before_the_update():
    x, y = one_batch()
    model = FiveLayerReLUCNN(seed=0)
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    bad = x.copy()
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(Diverged, match=r"at epoch 3, step 2/3.*try a lower --lr") as err:
        train_epoch(model, SGD(model.parameters(), lr=0.0), [(x, y), (bad, y), (x, y)],
                    epoch=3, steps=3)
    assert (err.value.epoch, err.value.step) == (3, 2)
    for n, p in model.named_parameters():                   # lr 0: nothing moved, nothing NaN
        np.testing.assert_array_equal(p.data, before[n])


def test_stop_request_ends_the_epoch_between_steps():
    x, y = one_batch()
    model = FiveLayerReLUCNN(seed=0)
    calls = []
    progress = train_epoch(model, SGD(model.parameters(), lr=0.01), [(x, y)] * 5, steps=5,
                           stop_requested=lambda: len(calls) >= 2,
                           every_step=lambda: calls.append(1))
    assert progress.step == 2 and progress.seen == 16


@pytest.mark.parametrize("name, expected", [
    ("none", [0.1] * 6),
    ("step", [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]),
    ("cosine", [0.1 * (1 + math.cos(math.pi * e / 6)) / 2 for e in range(6)]),
])
def test_schedules_per_epoch_and_fast_forward(name, expected):
    model = FiveLayerReLUCNN(seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    scheduler = make_scheduler(name, opt, total_epochs=6)
    seen = []
    for _ in range(6):
        seen.append(opt.lr)
        if scheduler is not None:
            scheduler.step()
    assert seen == pytest.approx(expected)
    for done in range(6):                                    # a resumed run jumps to its epoch
        opt = SGD(model.parameters(), lr=0.1)
        make_scheduler(name, opt, total_epochs=6, done_epochs=done)
        assert opt.lr == pytest.approx(expected[done])


def test_the_run_records_the_scheduled_lr_of_each_epoch(tmp_path, monkeypatch):
    from tinygrad_cnn.training import run as run_module
    monkeypatch.setattr(run_module, "draw_step", lambda *args, **kwargs: [])
    metrics = fit(TrainConfig(model="five-layer-relu", epochs=3, limit=128, lr=0.05,
                              out=str(tmp_path / "r"), progress=False), log=lambda s: None)
    assert [e["lr"] for e in metrics["epochs"]] == pytest.approx(
        [0.05, 0.05 * 0.75, 0.05 * 0.25])                   # cosine over 3 epochs


def test_thread_count_fixed_or_free_cores():
    saved = parallel.get_num_threads()
    try:
        fixed = ThreadGovernor(1)
        assert fixed.current == 1 and parallel.get_num_threads() == 1
        assert "(--threads)" in fixed.describe()
        auto = ThreadGovernor(None, sample=0.05)
        assert 1 <= auto.current <= auto.sampler.n and parallel.get_num_threads() == auto.current
    finally:
        parallel.set_num_threads(saved)
