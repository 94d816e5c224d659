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


# -- PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler ---------------------
# The formulas below are the papers'/docs' closed forms, written independently of the recursive code; the
# sequences were also checked equal to torch 2.13's in a throwaway script.

def test_polynomial_lr_chainable_and_closed_form():
    opt = _opt(BASES)
    seq = _run(S.PolynomialLR(opt, total_iters=7, power=2.0), opt)
    for e, lrs in enumerate(seq):
        _close(lrs, [b * (1 - min(e, 7) / 7) ** 2 for b in BASES])
    opt = _opt(BASES)
    sched = S.PolynomialLR(opt, total_iters=7, power=2.0)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(3)
    _close([g["lr"] for g in opt.param_groups], [b * (4 / 7) ** 2 for b in BASES])


def _sgdr(e, T_0, T_mult, eta_min, base):
    """SGDR's lr at (possibly fractional) epoch e: find the restart period containing e."""
    start, T_i = 0, T_0
    while e >= start + T_i:
        start += T_i
        T_i *= T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (e - start) / T_i)) / 2


@pytest.mark.parametrize("T_0, T_mult", [(3, 2), (4, 1), (1, 3)])
def test_cosine_annealing_warm_restarts(T_0, T_mult):
    opt = _opt(BASES)
    seq = _run(S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.01), opt, n=30)
    for e, lrs in enumerate(seq):
        _close(lrs, [_sgdr(e, T_0, T_mult, 0.01, b) for b in BASES])


def test_cosine_annealing_warm_restarts_fractional_epochs_and_errors():
    opt = _opt(BASES)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
    for e in [0.5, 1.7, 3.0, 4.2, 8.9, 10, 21.5, 2.0]:
        sched.step(e)
        _close([g["lr"] for g in opt.param_groups], [_sgdr(e, 3, 2, 0.01, b) for b in BASES])
        assert sched.last_epoch == math.floor(e)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="Expected float or int eta_min"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="0")


def _triangle(it, up, down):
    """Position in the current triangle: 0 at base_lr, 1 at max_lr; and the 1-based cycle number."""
    cycle, pos = divmod(it, up + down)
    return (pos / up if pos <= up else 1 - (pos - up) / down), cycle + 1


@pytest.mark.parametrize("mode, kw, scale", [
    ("triangular", {}, lambda cycle, it: 1.0),
    ("triangular2", {}, lambda cycle, it: 0.5 ** (cycle - 1)),
    ("exp_range", {"gamma": 0.9}, lambda cycle, it: 0.9**it),
])
def test_cyclic_lr_modes_and_momentum(mode, kw, scale):
    opt = _opt(BASES, momentum=0.5)
    sched = S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5, mode=mode,
                       base_momentum=0.8, max_momentum=0.9, **kw)
    for it in range(30):
        h, cycle = _triangle(it, 3, 5)
        s = scale(cycle, it)
        _close([g["lr"] for g in opt.param_groups], [b + (0.1 - b) * h * s for b in (0.01, 0.02)])
        _close([g["momentum"] for g in opt.param_groups], [0.9 - 0.1 * h * s] * 2)
        opt.step()
        sched.step()
    assert sched.base_lrs == [0.01, 0.02]


def test_cyclic_lr_adam_beta1_custom_scale_and_errors():
    opt = _opt((0.1,), cls=optim.Adam, betas=(0.99, 0.5))
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    assert opt.param_groups[0]["betas"] == (0.9, 0.5)
    sched.step()
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.85) and opt.param_groups[0]["betas"][1] == 0.5
    opt = _opt((0.1,))
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations",
                       cycle_momentum=False)
    for it in range(12):
        h, _ = _triangle(it, 4, 4)
        assert opt.param_groups[0]["lr"] == pytest.approx(0.01 + 0.09 * h / (1 + it), rel=1e-12)
        sched.step()
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(_opt(), 0.01, 0.1, mode="bogus", cycle_momentum=False)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.CyclicLR(_opt((0.1,), cls=optim.Adagrad), 0.01, 0.1)
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        S.CyclicLR(_opt(BASES), 0.01, [0.1], cycle_momentum=False)


def test_cyclic_lr_state_dict_keeps_callable_object_state():
    class Scale:
        def __init__(self):
            self.k = 0.5

        def __call__(self, x):
            return self.k**x

    scale = Scale()
    opt = _opt()
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=scale, cycle_momentum=False)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"k": 0.5}
    scale2 = Scale()
    scale2.k = 0.1
    other = S.CyclicLR(_opt(), 0.01, 0.1, step_size_up=2, scale_fn=scale2, cycle_momentum=False)
    other.load_state_dict(state)
    assert scale2.k == 0.5


def test_sequential_lr():
    opt = _opt(BASES)
    sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=4), S.ExponentialLR(opt, 0.9),
                                 S.StepLR(opt, 3, 0.5)], milestones=[5, 12])

    def formula(b, e):
        if e < 5:
            return b * (0.1 + 0.9 * min(e, 4) / 4)
        if e < 12:
            return b * 0.9 ** (e - 5)
        return b * 0.5 ** ((e - 12) // 3)

    seq = _run(sched, opt, n=20)
    for e, lrs in enumerate(seq):
        _close(lrs, [formula(b, e) for b in BASES])
    state = sched.state_dict()
    assert len(state["_schedulers"]) == 3 and "optimizer" not in state
    with pytest.raises(ValueError, match="expects number of schedulers provided to be one more than the number of "
                                         "milestone points, but got number of schedulers 2 and the number of "
                                         "milestones to be equal to 2"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 2)], milestones=[1, 2])
    with pytest.raises(ValueError, match="SequentialLR expects at least one scheduler, but got no scheduler"):
        S.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau` scheduler"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.ReduceLROnPlateau(opt)], milestones=[1])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(_opt(), 2)], milestones=[1])


def test_chained_scheduler_multiplies_and_round_trips():
    opt = _opt(BASES)
    sched = S.ChainedScheduler([S.ConstantLR(opt, 0.5, total_iters=4), S.ExponentialLR(opt, 0.9)])
    seq = _run(sched, opt)
    for e, lrs in enumerate(seq):
        _close(lrs, [b * (0.5 if e < 4 else 1.0) * 0.9**e for b in BASES])
    opt2 = _opt(BASES)
    fresh = S.ChainedScheduler([S.ConstantLR(opt2, 0.5, total_iters=4), S.ExponentialLR(opt2, 0.9)])
    fresh.load_state_dict(sched.state_dict())
    assert fresh._schedulers[1].last_epoch == sched._schedulers[1].last_epoch == EPOCHS
    with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler to be chained"):
        S.ChainedScheduler([])
    with pytest.raises(TypeError, match="ChainedScheduler at index 0 should have `optimizer` as its attribute"):
        S.ChainedScheduler([object()], optimizer=opt)


SCHEDULERS_WITH_GET_LR = [
    lambda o: S.StepLR(o, 2), lambda o: S.MultiStepLR(o, [2]), lambda o: S.ExponentialLR(o, 0.9),
    lambda o: S.CosineAnnealingLR(o, 5), lambda o: S.CosineAnnealingWarmRestarts(o, 3),
    lambda o: S.LinearLR(o), lambda o: S.ConstantLR(o), lambda o: S.PolynomialLR(o),
    lambda o: S.LambdaLR(o, lambda e: 1.0), lambda o: S.MultiplicativeLR(o, lambda e: 0.9),
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10), lambda o: S.CyclicLR(o, 0.01, 0.1),
]


@pytest.mark.parametrize("make", SCHEDULERS_WITH_GET_LR)
def test_get_lr_outside_step_warns_as_torch_and_step_does_not(make):
    opt = _opt()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # construction and step() call get_lr without a warning
        sched = make(opt)
        opt.step()
        sched.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()
    assert sched.state_dict()["_get_lr_called_within_step"] is False  # torch saves the flag too
