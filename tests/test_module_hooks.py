"""Module backward hooks and state_dict hooks with torch 2.13's signatures and order; gradients checked against
closed forms (NumPy)."""

import warnings

import numpy as np

import ntorch
from ntorch import nn


def _linear():
    lin = nn.Linear(3, 2).double()
    with ntorch.no_grad():
        lin.weight.copy_(ntorch.tensor(np.arange(6.0).reshape(2, 3) / 10))
        lin.bias.zero_()
    return lin


def test_full_backward_hooks_see_input_and_output_gradients():
    lin = _linear()
    log = []
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", go[0].tolist())))
    lin.register_full_backward_hook(lambda m, gi, go: log.append(("full", gi[0].tolist(), go[0].tolist())))
    x = ntorch.ones(1, 3, dtype=ntorch.float64, requires_grad=True)
    (lin(x) * ntorch.tensor([[1.0, 2.0]], dtype=ntorch.float64)).sum().backward()
    w = np.arange(6.0).reshape(2, 3) / 10
    assert log[0] == ("pre", [[1.0, 2.0]])
    np.testing.assert_allclose(log[1][1], [[1.0, 2.0]] @ w)
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 2.0]] @ w)


def test_hooks_may_replace_gradients():
    lin = _linear()
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    x = ntorch.ones(1, 3, dtype=ntorch.float64, requires_grad=True)
    lin(x).sum().backward()
    w = np.arange(6.0).reshape(2, 3) / 10
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((1, 2)) @ w + 1)
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * np.ones((2, 3)))  # parameters see the doubled grad


def test_hook_without_input_grads_fires_from_the_outputs_with_none():
    lin = _linear()
    log = []
    lin.register_full_backward_hook(lambda m, gi, go: log.append((gi, go[0].tolist())))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (lin(ntorch.ones(1, 3, dtype=ntorch.float64)) * 3).sum().backward()
    assert log == [((None,), [[3.0, 3.0]])]
    assert any("no inputs require gradients" in str(w.message) for w in caught)


def test_handle_removes_backward_hooks():
    lin = _linear()
    log = []
    h = lin.register_full_backward_hook(lambda m, gi, go: log.append(1))
    h.remove()
    lin(ntorch.ones(1, 3, dtype=ntorch.float64, requires_grad=True)).sum().backward()
    assert log == []


def test_state_dict_hooks():
    m = nn.Sequential(nn.Linear(2, 2))
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))

    def post(mod, sd, prefix, local_metadata):
        sd["extra"] = ntorch.ones(1)

    m.register_state_dict_post_hook(post)
    sd = m.state_dict()
    assert calls == [("pre", "", False)] and list(sd) == ["0.weight", "0.bias", "extra"]
    m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: sd.pop("extra", None))
    result = m.load_state_dict(sd)  # the pre-hook drops "extra", so nothing is unexpected
    assert result.missing_keys == [] and result.unexpected_keys == []
    lin = nn.Linear(2, 2)
    lin.register_load_state_dict_post_hook(lambda mod, incompatible: incompatible.missing_keys.clear())
    result = lin.load_state_dict({"weight": ntorch.ones(2, 2)})  # "bias" missing: accepted by the hook
    assert result.missing_keys == [] and lin.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
