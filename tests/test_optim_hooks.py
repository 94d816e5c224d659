"""Optimizer hooks as torch 2.13 has them: step pre/post hooks (per optimizer and global), state_dict and
load_state_dict pre/post hooks, handles that remove them."""

import pytest

import ntorch
from ntorch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


def _opt(cls=ntorch.optim.SGD, **kw):
    p = ntorch.nn.Parameter(ntorch.ones(2))
    p.grad = ntorch.ones(2)
    return p, cls([p], lr=0.1, **kw)


def test_step_hooks_run_in_order_and_can_be_removed():
    p, opt = _opt()
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", round(float(p[0]), 6))))
    g1 = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global pre", None)))
    g2 = register_optimizer_step_post_hook(lambda o, a, k: calls.append(("global post", None)))
    try:
        opt.step()
    finally:
        g1.remove()
        g2.remove()
    assert calls == [("global pre", None), ("pre", True), ("post", 0.9), ("global post", None)]
    h1.remove()
    calls.clear()
    opt.step()
    assert [c[0] for c in calls] == ["post"]


def test_pre_hook_may_replace_the_arguments_and_must_return_a_pair():
    p, _ = _opt()
    seen = []

    def closure():
        seen.append(1)
        return (p * p).sum()

    _, sgd = _opt()
    sgd.register_step_pre_hook(lambda o, a, k: ((), {"closure": closure}))
    sgd.step()
    assert seen == [1]
    sgd.register_step_pre_hook(lambda o, a, k: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\)"):
        sgd.step()


def test_hooks_fire_once_when_a_subclass_calls_its_parents_step():
    class MySGD(ntorch.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = ntorch.nn.Parameter(ntorch.ones(2))
    p.grad = ntorch.ones(2)
    opt = MySGD([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(1))
    opt.step()
    assert calls == [1]


def test_state_dict_hooks():
    p, opt = _opt(ntorch.optim.Adam)
    opt.step()
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "note": "hi"})
    sd = opt.state_dict()
    assert sd["note"] == "hi" and calls == ["sd pre"]
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "note"})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load post"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load post first"), prepend=True)
    opt.load_state_dict(sd)
    assert calls[-2:] == ["load post first", "load post"]
