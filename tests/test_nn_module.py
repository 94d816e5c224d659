"""nn.Module, nn.Parameter and the containers: registration, iteration, state_dict round trips and errors, hooks,
train/eval, dtype conversion, reprs (expected text written from torch's documented format)."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(nt.ones(1))
        self.register_buffer("steps", nt.zeros(1))
        self.register_buffer("cache", nt.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# -- Parameter ---------------------------------------------------------------------------------------
def test_parameter_basics():
    data = nt.arange(3.0)
    p = nn.Parameter(data)
    assert isinstance(p, nn.Parameter) and isinstance(p, nt.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.data_ptr() == data.data_ptr()  # shares memory, as torch's Parameter does
    assert repr(p) == "Parameter containing:\ntensor([0., 1., 2.], requires_grad=True)"
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    with nt.no_grad():
        assert nn.Parameter(data).requires_grad
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(nt.arange(3))


def test_parameter_in_ops():
    """Ops take a Parameter wherever they take a Tensor and return plain Tensors."""
    p = nn.Parameter(nt.tensor([1.0, -2.0, 3.0]))
    x = nt.tensor([0.5, 0.5, 0.5])
    for out in (p + x, x + p, p * 2, 2 * p, p @ x, p.exp(), nt.relu(p), p.sum(), p[1:], p.view(3, 1),
                nt.cat([p, x]), nn.functional.softmax(p, 0), p.reshape(1, 3).t()):
        assert type(out) is nt.Tensor
        assert out.requires_grad
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * p.detach().numpy())
    with nt.no_grad():
        p.sub_(0.5 * p.grad)
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0, 0.0])


def test_parameter_copy_and_pickle():
    p = nn.Parameter(nt.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad
        assert q.data_ptr() != p.data_ptr()
        np.testing.assert_array_equal(q.detach().numpy(), [1.0, 2.0])


def test_buffer_class():
    m = nn.Module()
    m.b = nn.Buffer(nt.ones(2), persistent=False)
    assert "b" in m._buffers and "b" in m._non_persistent_buffers_set
    assert list(m.state_dict()) == []
    assert isinstance(m.b, nn.Buffer) and not isinstance(nt.ones(1), nn.Buffer)


# -- registration ------------------------------------------------------------------------------------
def test_registration_and_iteration():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="net")][1] == "net.fc1.weight"
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(net.children())[0] is net.fc1 and list(net.modules())[0] is net
    assert len(list(net.parameters())) == 4 and len(list(net.buffers())) == 2
    assert net.fc1.weight.shape == (4, 3) and net.fc2.bias is None
    # a shared module / parameter is listed once unless remove_duplicate=False
    shared = nn.Sequential(net.fc1, net.fc1)
    assert len(list(shared.parameters())) == 2
    assert len(list(shared.named_parameters(remove_duplicate=False))) == 4
    assert len(list(shared.named_modules(remove_duplicate=False))) == 3


def test_setattr_moves_between_registries_and_delattr():
    m = nn.Module()
    m.x = nn.Parameter(nt.ones(1))
    m.x = None  # a registered parameter may be set to None
    assert m._parameters["x"] is None and m.x is None
    m.y = nt.ones(1)  # a plain tensor is an ordinary attribute
    assert "y" in m.__dict__ and "y" not in m._buffers
    m.register_buffer("b", nt.zeros(1))
    m.b = nt.ones(1)  # assigning a tensor to a registered buffer replaces it
    assert float(m._buffers["b"]) == 1.0
    m.sub = nn.Linear(1, 1)
    del m.sub, m.b, m.x
    assert "sub" not in m._modules and "b" not in m._buffers and "x" not in m._parameters
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'sub'"):
        m.sub  # noqa: B018
    assert "y" in dir(m)


def test_registration_errors():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(nt.ones(1)))
    with pytest.raises(TypeError, match=r"cannot assign 'ntorch.FloatTensor' as parameter 'w' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        m.w = nt.ones(1)
    with pytest.raises(TypeError, match=r"cannot assign 'ntorch.FloatTensor' object to parameter 'v' "
                                        r"\(torch.nn.Parameter or None required\)"):
        m.register_parameter("v", nt.ones(1))
    with pytest.raises(KeyError, match='parameter name can.+t contain "."'):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="parameter name can.+t be empty string"):
        m.register_parameter("", None)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", None)
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        m.register_buffer(1, None)
    with pytest.raises(TypeError, match=r"cannot assign 'int' object to buffer 'q' \(torch Tensor or None required\)"):
        m.register_buffer("q", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("c", 3)
    with pytest.raises(KeyError, match='module name can.+t contain ".", got: a.b'):
        m.add_module("a.b", nn.ReLU())
    x = nt.ones(1, requires_grad=True) * 2
    assert nn.Parameter(x).is_leaf  # a Parameter of a computed tensor is a new leaf, as in torch

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(nt.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        m(1)


def test_get_submodule_parameter_buffer():
    net = nn.Sequential(Net())
    assert net.get_submodule("0.fc1") is net[0].fc1
    assert net.get_parameter("0.fc1.bias") is net[0].fc1.bias
    assert net.get_buffer("0.steps") is net[0].steps
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        net.get_submodule("0.fc1.nope")
    with pytest.raises(AttributeError, match="`steps` is not an nn.Parameter"):
        net.get_parameter("0.steps")


# -- modes, grads, conversion ------------------------------------------------------------------------
def test_train_eval_requires_grad_zero_grad():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net and not net.fc1.training and not net.act.training
    net.train()
    assert net.fc2.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)
    net(nt.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_keeps_parameter_identity():
    net = Net()
    w = net.fc1.weight
    ref = w.detach().numpy().astype(np.float64)
    net(nt.randn(2, 3)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is w and type(w) is nn.Parameter and w.dtype is nt.float64 and w.requires_grad
    assert w.grad.dtype is nt.float64
    np.testing.assert_array_equal(w.detach().numpy(), ref)
    assert net.steps.dtype is nt.float64
    net.to(nt.float32)
    assert w.dtype is nt.float32 and net.cache.dtype is nt.float32
    net.half()
    assert w.dtype is nt.float16
    net.to(dtype=nt.float32)
    bn = nn.BatchNorm1d(2).to(nt.float64)
    assert bn.num_batches_tracked.dtype is nt.int64  # integer buffers keep their dtype
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                        "dtype=ntorch.int32"):
        net.to(nt.int32)
    assert net.cpu() is net and net.fc1.weight.device.type == "cpu"


def test_apply_and_hooks():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Net"]

    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(args[0]) or out + 1)
    x = nt.ones(1, 2)
    y = lin(x)
    np.testing.assert_allclose(y.detach().numpy(), lin.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert float(calls[0].abs().sum()) == 0.0  # the forward hook sees the pre-hook's args
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(x).detach().numpy(), F_linear(x, lin), rtol=1e-6)
    # with_kwargs hooks and prepend order
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("a"))
    lin.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
    lin.register_forward_pre_hook(lambda m, a, kw: ((a[0] * 2,), kw), with_kwargs=True)
    with lin.register_forward_hook(lambda m, a, kw, o: order.append(kw), with_kwargs=True):
        lin(x)
    assert order == ["b", "a", {}]
    lin(x)
    assert order == ["b", "a", {}, "b", "a"]
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
        lin.register_forward_pre_hook(lambda m, a, kw: 3, with_kwargs=True)
        lin(x)


def F_linear(x, lin):
    return x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()


# -- state_dict ----------------------------------------------------------------------------------------
def test_state_dict_round_trip():
    net, other = Net(), Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"]  # no non-persistent buffer
    assert not sd["fc1.weight"].requires_grad and sd["fc1.weight"].data_ptr() == net.fc1.weight.data_ptr()
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight
    assert list(net.state_dict(prefix="m."))[0] == "m.scale"
    w = other.fc1.weight
    res = other.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == [] and repr(res) == "<All keys matched successfully>"
    assert other.fc1.weight is w  # copied in place
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    x = nt.randn(3, 3)
    np.testing.assert_array_equal(net(x).detach().numpy(), other(x).detach().numpy())
    # assign=True puts the given tensors in (as Parameters)
    fresh = {k: v.clone() for k, v in sd.items()}
    other.load_state_dict(fresh, assign=True)
    assert type(other.fc1.weight) is nn.Parameter and other.fc1.weight.data_ptr() == fresh["fc1.weight"].data_ptr()


def test_load_state_dict_strict_errors():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["fc1.extra"] = nt.ones(1)
    sd["nope.weight"] = nt.ones(1)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    assert str(err.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc1.bias". '
                              '\n\tUnexpected key(s) in state_dict: "nope.weight", "fc1.extra". ')
    res = net.load_state_dict(sd, strict=False)  # reports the keys without raising
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["nope.weight", "fc1.extra"]
    assert repr(nn.modules.module._IncompatibleKeys(["a"], [])) == \
        "_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])"
    bad = net.state_dict()
    bad["fc1.weight"] = nt.ones(2, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape "
                                           r"ntorch.Size\(\[2, 2\]\) from checkpoint, the shape in current model is "
                                           r"ntorch.Size\(\[4, 3\]\)."):
        net.load_state_dict(bad)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1])


# -- repr ----------------------------------------------------------------------------------------------
def test_repr():
    assert repr(Net()) == (
        "Net(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (act): ReLU()\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=False)\n"
        ")")
    nested = nn.Sequential(nn.Sequential(nn.Identity()), nn.Dropout(0.1))
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Identity()\n"
        "  )\n"
        "  (1): Dropout(p=0.1, inplace=False)\n"
        ")")
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (3): ReLU()\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"


# -- containers ----------------------------------------------------------------------------------------
def test_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    x = nt.randn(4, 2)
    np.testing.assert_allclose(seq(x).detach().numpy(), c(b(a(x))).detach().numpy())
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]  # noqa: B018
    named = nn.Sequential(OrderedDict([("first", a), ("second", b)]))
    assert named.first is a and [n for n, _ in named.named_children()] == ["first", "second"]
    seq.append(nn.Tanh())
    assert len(seq) == 4 and isinstance(seq[3], nn.Tanh)
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[1] is c
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    seq.insert(0, b)
    assert seq[0] is b and len(seq) == 4
    assert len(seq + nn.Sequential(a)) == 5
    assert seq.pop(0) is b and len(seq) == 3


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    layers.append(nn.Tanh())
    layers.extend([nn.Sigmoid()])
    layers += [nn.Identity()]
    assert len(layers) == 5 and isinstance(layers[-1], nn.Identity)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert len(list(layers.parameters())) == 2
    del layers[0]
    assert isinstance(layers[0], nn.ReLU) and [n for n, _ in layers.named_children()][-1] == "3"
    layers.insert(1, nn.ELU())
    assert isinstance(layers[1], nn.ELU)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        layers.extend(3)
    d = nn.ModuleDict({"act": nn.ReLU(), "lin": nn.Linear(1, 1)})
    assert list(d) == ["act", "lin"] and "lin" in d and len(d) == 2
    d["out"] = nn.Tanh()
    assert list(d.keys())[-1] == "out" and d.pop("act").__class__ is nn.ReLU
    d.update([("x", nn.Identity())])
    assert isinstance(d["x"], nn.Identity) and len(list(d.parameters())) == 2
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 1; 2 is required"):
        d.update([("y",)])


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(nt.ones(2, 3)), nt.zeros(2)])
    assert all(type(p) is nn.Parameter for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(nt.ones(1))
    assert len(list(pl.parameters())) == 3
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [ntorch.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [ntorch.float32 of size 2]\n"
                        "    (2): Parameter containing: [ntorch.float32 of size 1]\n)")
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl()
    pd = nn.ParameterDict({"b": nt.ones(2), "a": nn.Parameter(nt.zeros(1))})
    assert list(pd) == ["a", "b"]  # a plain dict is added in sorted order, as torch does
    assert type(pd["b"]) is nn.Parameter and len(list(pd.parameters())) == 2
    pd["c"] = nt.ones(3)
    assert list(pd.keys()) == ["a", "b", "c"] and pd.get("z") is None
    assert pd.pop("a").shape == (1,) and "a" not in pd
    assert repr(pd) == ("ParameterDict(\n    (b): Parameter containing: [ntorch.FloatTensor of size 2]\n"
                        "    (c): Parameter containing: [ntorch.FloatTensor of size 3]\n)")
    net = nn.Module()
    net.params = pd
    assert list(net.state_dict()) == ["params.b", "params.c"]


def test_deepcopy_and_pickle_module():
    net = Net()
    twin = copy.deepcopy(net)
    assert twin.fc1.weight is not net.fc1.weight and type(twin.fc1.weight) is nn.Parameter
    x = nt.randn(2, 3)
    np.testing.assert_array_equal(twin(x).detach().numpy(), net(x).detach().numpy())
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again(x).detach().numpy(), net(x).detach().numpy())
    assert list(again.state_dict()) == list(net.state_dict())


def test_data_parallel_without_gpus_calls_the_module(monkeypatch):
    monkeypatch.setattr(nt.cuda, "is_available", lambda: False)
    model = nn.Linear(3, 2)
    dp = nn.DataParallel(model)
    assert dp.module is model and dp.device_ids == [] and dp.output_device is None and dp.dim == 0
    x = nt.ones(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), model(x).detach().numpy())
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    dp(x).sum().backward()
    assert model.weight.grad is not None


def test_torch_module_paths_import():
    """Code written for torch imports classes from their torch.nn.modules submodules (isinstance checks)."""
    import ntorch.nn as nn
    from ntorch.nn.modules.batchnorm import BatchNorm2d, SyncBatchNorm, _BatchNorm
    from ntorch.nn.modules.channelshuffle import ChannelShuffle
    from ntorch.nn.modules.fold import Fold, Unfold
    from ntorch.nn.modules.instancenorm import InstanceNorm1d, _InstanceNorm
    from ntorch.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle

    assert isinstance(nn.BatchNorm1d(2), _BatchNorm) and isinstance(SyncBatchNorm(2), _BatchNorm)
    assert BatchNorm2d is nn.BatchNorm2d and InstanceNorm1d is nn.InstanceNorm1d
    assert isinstance(nn.InstanceNorm2d(2), _InstanceNorm)
    assert (Fold, Unfold, PixelShuffle, PixelUnshuffle, ChannelShuffle) == (nn.Fold, nn.Unfold, nn.PixelShuffle,
                                                                            nn.PixelUnshuffle, nn.ChannelShuffle)


def test_set_submodule_to_empty_share_memory():
    import ntorch.nn as nn

    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
    m.set_submodule("1.0", nn.Tanh())
    assert isinstance(m[1][0], nn.Tanh)
    with pytest.raises(AttributeError, match="has no attribute `5`"):
        m.set_submodule("1.5", nn.Tanh(), strict=True)
    with pytest.raises(ValueError, match="is not an nn.Module"):
        m.set_submodule("0", 3)
    w = m[0].weight
    assert m.to_empty(device="cpu") is m and m[0].weight is w and w.shape == (3, 2)
    assert m.share_memory() is m
