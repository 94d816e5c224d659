"""ntorch.optim.lr_scheduler: lr sequences against closed-form formulas written here."""

import math
import warnings

import pytest

import ntorch
from ntorch import optim
from ntorch.optim import lr_scheduler as S

EPOCHS = 12


def _opt(lrs=(0.1,), cls=optim.SGD, **kw):
    groups = [{"params": [ntorch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, lr=lrs[0], **kw)


def _run(sched, opt, n=EPOCHS):
    """lrs seen by each epoch's optimizer.step(): the first before any scheduler.step()."""
    seq = []
    for _ in range(n):
        seq.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == seq[-1]
        sched.step()
    return seq


def _close(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x == pytest.approx(y, rel=1e-12, abs=1e-15)


BASES = (0.1, 0.03)


@pytest.mark.parametrize("make, formula", [
    (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    (lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.1),
     lambda b, e: b * 0.1 ** sum(m <= e for m in [2, 5, 5, 9])),
    (lambda o: S.ExponentialLR(o, gamma=0.9), lambda b, e: b * 0.9**e),
    (lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
     lambda b, e: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 5)) / 2),
    (lambda o: S.LambdaLR(o, lambda e: 1 / (e + 1)), lambda b, e: b / (e + 1)),
    (lambda o: S.MultiplicativeLR(o, lambda e: 0.95), lambda b, e: b * 0.95**e),
    (lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=4),
     lambda b, e: b * (0.25 + 0.5 * min(e, 4) / 4)),
    (lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), lambda b, e: b * (0.5 if e < 3 else 1.0)),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR", "LinearLR",
        "ConstantLR"])
def test_sequences(make, formula):
    opt = _opt(BASES)
    sched = make(opt)
    seq = _run(sched, opt)
    for e, lrs in enumerate(seq):
        _close(lrs, [formula(b, e) for b in BASES])
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASES)
    assert sched.base_lrs == list(BASES)
    assert sched.last_epoch == EPOCHS


def test_cosine_annealing_past_t_max_follows_the_cosine():
    opt = _opt()
    sched = S.CosineAnnealingLR(opt, T_max=3)
    seq = _run(sched, opt, 10)
    _close([s[0] for s in seq], [0.1 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(10)])


def test_step_with_epoch_uses_closed_form():
    opt = _opt()
    sched = S.StepLR(opt, step_size=2, gamma=0.1)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1**2)


def test_lambda_list_and_errors():
    opt = _opt(BASES)
    sched = S.LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0**e])
    sched.step()
    sched.step()
    _close(sched.get_last_lr(), [0.1, 0.03 * 4])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        S.MultiplicativeLR(opt, [1, 2])
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        S.StepLR(3, step_size=1)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        S.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        S.LinearLR(opt, start_factor=0)


def test_resume_requires_initial_lr():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        S.StepLR(_opt(), step_size=2, last_epoch=3)


def test_state_dict_round_trip():
    opt = _opt(BASES)
    sched = S.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)
    for _ in range(4):
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4 and sd["base_lrs"] == list(BASES)
    opt2 = _opt(BASES)
    sched2 = S.MultiStepLR(opt2, milestones=[1], gamma=0.9)
    sched2.load_state_dict(sd)
    for g2, g in zip(opt2.param_groups, opt.param_groups):
        g2["lr"] = g["lr"]
    for _ in range(4):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
    _close(sched.get_last_lr(), [b * 0.25 for b in BASES])


def _one_cycle_reference(step, total, max_lr, pct, div, final_div, strategy):
    """torch's documented 1cycle: phase 1 from max_lr/div to max_lr over pct*total - 1 steps, phase 2 down to
    max_lr/(div*final_div) at total - 1."""
    initial, low = max_lr / div, max_lr / div / final_div
    end1 = pct * total - 1

    def anneal(a, b, t):
        return b + (a - b) / 2 * (math.cos(math.pi * t) + 1) if strategy == "cos" else (b - a) * t + a

    if step <= end1:
        return anneal(initial, max_lr, step / end1)
    return anneal(max_lr, low, (step - end1) / (total - 1 - end1))


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle(strategy):
    opt = _opt(cls=optim.SGD, momentum=0.9)
    total = 20
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=total, anneal_strategy=strategy)
    lrs, moms = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        sched.step()
    _close(lrs, [_one_cycle_reference(s, total, 1.0, 0.3, 25.0, 1e4, strategy) for s in range(total)])
    assert moms[0] == pytest.approx(0.95) and min(moms) == pytest.approx(0.85, abs=0.01)
    with pytest.raises(ValueError, match="Tried to step 21 times. The specified number of total steps is 20"):
        sched.step()


def test_one_cycle_adam_cycles_beta1_and_errors():
    opt = _opt(cls=optim.Adam)
    sched = S.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)
    sched.step()
    assert opt.param_groups[0]["betas"][0] < 0.95
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, max_lr=0.5)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(_opt(cls=optim.Adagrad), max_lr=0.5, total_steps=10)


def test_reduce_lr_on_plateau():
    opt = _opt(BASES)
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=[0.0, 0.02])
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8]
    # reference: count epochs without improvement (rel threshold 1e-4); after `patience` bad ones, reduce and
    # then ignore `cooldown` epochs
    best, bad, cool, lr = math.inf, 0, 0, list(BASES)
    for m in metrics:
        sched.step(m)
        if m < best * (1 - 1e-4):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > 2:
            lr = [max(x * 0.5, lo) if x - max(x * 0.5, lo) > 1e-8 else x for x, lo in zip(lr, [0.0, 0.02])]
            cool, bad = 1, 0
        _close(sched.get_last_lr(), lr)
    assert lr[0] < BASES[0] and lr[1] == 0.02
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode max2 is unknown!"):
        S.ReduceLROnPlateau(opt, mode="max2")


def test_reduce_lr_on_plateau_max_mode_state_dict():
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    sched.step(1.0)
    sched.step(1.05)  # not better by more than 0.1: reduce
    assert sched.get_last_lr() == [pytest.approx(0.01)]
    sd = sched.state_dict()
    other = S.ReduceLROnPlateau(_opt())
    other.load_state_dict(sd)
    assert other.mode == "max" and other.best == 1.0 and other.mode_worse == -math.inf


def test_scheduler_with_optimizer_training_loop():
    p = ntorch.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    sched = S.ExponentialLR(opt, gamma=0.5)
    expected = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in range(4):
            p.grad = ntorch.tensor([1.0])
            opt.step()
            sched.step()
            expected -= 0.5 * 0.5**e
    assert p.item() == pytest.approx(expected)
