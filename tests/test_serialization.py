"""ntorch.save / ntorch.load round trips, storage sharing, and the weights_only guard."""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import ntorch
from ntorch import optim
from ntorch.serialization import load, save


def _round_trip(obj, **load_kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **load_kw)


@pytest.mark.parametrize("dt", [ntorch.bool, ntorch.uint8, ntorch.int8, ntorch.int16, ntorch.int32, ntorch.int64,
                                ntorch.float16, ntorch.float32, ntorch.float64])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (3, 4)])
def test_dtypes_and_shapes(dt, shape, rng):
    arr = (rng.standard_normal(shape) * 5)
    arr = (arr > 0) if dt is ntorch.bool else arr.astype(dt.np)
    out = _round_trip(ntorch.tensor(arr))
    assert out.dtype is dt and tuple(out.shape) == shape
    np.testing.assert_array_equal(out.numpy(), arr)


def test_requires_grad_and_non_contiguous_views(rng):
    base = ntorch.tensor(rng.standard_normal((4, 6)))
    w = ntorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    views = {"t": base.t(), "step": base[::2, 1::3], "col": base[:, 2], "w": w}
    out = _round_trip(views)
    assert out["w"].requires_grad and out["w"].is_leaf and not out["t"].requires_grad
    for k, v in views.items():
        np.testing.assert_array_equal(out[k].detach().numpy(), v.detach().numpy())
        assert out[k].stride() == v.stride()


def test_shared_storage_stays_shared():
    a = ntorch.arange(12.0).reshape(3, 4)
    col = a[:, 1]
    flat = a.view(12)
    out = _round_trip({"a": a, "col": col, "flat": flat, "again": a})
    assert out["again"] is out["a"]  # one tensor met twice is one object
    assert out["col"].storage_offset() == 1 and out["col"].stride() == (4,)
    out["a"][2, 1] = -1.0
    assert out["col"].tolist() == [1.0, 5.0, -1.0] and out["flat"][9].item() == -1.0
    assert out["col"].untyped_storage() is out["a"].untyped_storage()


def test_separate_tensors_do_not_share():
    a, b = ntorch.zeros(3), ntorch.zeros(3)
    out = _round_trip([a, b])
    out[0].add_(1.0)
    assert out[1].tolist() == [0.0, 0.0, 0.0]


Pair = collections.namedtuple("Pair", "a b")  # not allow-listed: needs weights_only=False


def test_nested_containers_and_plain_values():
    t = ntorch.tensor([1.5, 2.5])
    obj = collections.OrderedDict(
        w=t, meta={"name": "layer", "n": 3, "x": 0.5, "flag": True, "none": None, "bytes": b"ab"},
        seq=[t, (1, 2, (t,)), {"k": [ntorch.tensor(7)]}], size=t.shape, dtype=ntorch.float16,
        dev=ntorch.device("cpu"), s={1, 2}, c=complex(1, 2))
    out = _round_trip(obj)
    assert type(out) is collections.OrderedDict and list(out) == list(obj)
    assert out["meta"] == obj["meta"] and out["size"] == ntorch.Size([2]) and out["dtype"] is ntorch.float16
    assert out["seq"][1][2][0] is out["w"] and out["seq"][2]["k"][0].item() == 7
    assert out["s"] == {1, 2} and out["c"] == complex(1, 2) and str(out["dev"]) == "cpu"
    named = _round_trip(Pair(t, 1), weights_only=False)
    assert named.b == 1 and named.a.tolist() == [1.5, 2.5]


def test_path_and_file_object(tmp_path, rng):
    arr = rng.standard_normal((3, 2)).astype(np.float32)
    path = tmp_path / "x.pt"
    save({"a": ntorch.tensor(arr)}, path)
    np.testing.assert_array_equal(load(path)["a"].numpy(), arr)
    save([ntorch.tensor(arr)], str(path))
    np.testing.assert_array_equal(load(os.fspath(path))[0].numpy(), arr)
    with open(path, "wb") as fh:
        save(ntorch.tensor(arr), fh)
    with open(path, "rb") as fh:
        np.testing.assert_array_equal(load(fh).numpy(), arr)
    assert zipfile.is_zipfile(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _forged(payload) -> io.BytesIO:
    """An archive in the save format whose data.pkl is an arbitrary pickle."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("version", b"1")
        zf.writestr("data.pkl", pickle.dumps(payload, protocol=2))
        zf.writestr("storages.json", "{}")
    buf.seek(0)
    return buf


def test_malicious_pickle_refused():
    with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*Unsupported global: GLOBAL "
                                                     "(posix|nt|os).system"):
        load(_forged({"x": _Evil()}))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load(_forged(collections.Counter(a=1)))
    buf = io.BytesIO()
    save(collections.Counter(a=1), buf)
    buf.seek(0)
    assert load(buf, weights_only=False) == collections.Counter(a=1)
    with pytest.raises(RuntimeError, match="Invalid file"):
        load(io.BytesIO(b"not a zip"))


def test_map_location_cpu_variants():
    t = ntorch.tensor([1.0, 2.0])
    for loc in ["cpu", ntorch.device("cpu"), {"cpu": "cpu"}]:
        out = _round_trip(t, map_location=loc)
        assert out.device.type == "cpu" and out.tolist() == [1.0, 2.0]
    seen = []
    out = _round_trip(t, map_location=lambda storage, location: seen.append(location) or storage)
    assert seen == ["cpu"] and out.tolist() == [1.0, 2.0]


def test_optimizer_state_dict_round_trip(rng):
    p = ntorch.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    q = ntorch.tensor(p.detach().numpy(), requires_grad=True)
    opt_p, opt_q = optim.Adam([p], lr=0.1, amsgrad=True), optim.Adam([q], lr=0.7)
    grads = [rng.standard_normal((3, 3)) for _ in range(4)]
    p.grad = ntorch.tensor(grads[0])
    opt_p.step()
    q.grad = ntorch.tensor(grads[0])
    opt_q = optim.Adam([q], lr=0.1, amsgrad=True)
    opt_q.step()
    sd = _round_trip(opt_p.state_dict())
    assert sd["state"][0]["step"].dtype is ntorch.float32 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    opt_q.load_state_dict(sd)
    for g in grads[1:]:
        p.grad, q.grad = ntorch.tensor(g), ntorch.tensor(g)
        opt_p.step()
        opt_q.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_parameters_and_a_module_checkpoint_round_trip(rng):
    from ntorch import nn

    p = nn.Parameter(ntorch.from_numpy(rng.standard_normal(3)))
    out = _round_trip({"p": p, "frozen": nn.Parameter(ntorch.ones(2), requires_grad=False)})
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad
    np.testing.assert_array_equal(out["p"].detach().numpy(), p.detach().numpy())
    ntorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = ntorch.from_numpy(rng.standard_normal((8, 4)).astype(np.float32))
    model(x).square().sum().backward()
    opt.step()
    ck = _round_trip({"model": model.state_dict(), "opt": opt.state_dict()})
    twin = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    twin.load_state_dict(ck["model"])
    twin_opt = optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    twin_opt.load_state_dict(ck["opt"])
    model.eval(), twin.eval()
    np.testing.assert_array_equal(twin(x).detach().numpy(), model(x).detach().numpy())
    for m, o in ((model, opt), (twin, twin_opt)):  # one more step continues identically from the loaded state
        m.train()
        o.zero_grad()
        m(x).square().sum().backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _pickle_globals(raw: bytes) -> set[str]:
    import pickletools

    return {arg for op, arg, _pos in pickletools.genops(raw) if op.name == "GLOBAL"}


def test_the_file_is_torch_format():
    """torch.load reads what ntorch.save writes (checked against torch 2.13 by hand: this test pins the layout
    torch's reader needs, since the tests never import torch)."""
    t = ntorch.arange(6.0).reshape(2, 3)
    obj = {"w": t, "row": t[1], "p": ntorch.nn.Parameter(ntorch.ones(2)), "dt": ntorch.complex64,
           "size": t.shape, "dev": ntorch.device("cuda", 1), "flags": ntorch.tensor([True, False])}
    buf = io.BytesIO()
    save(obj, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        names = zf.namelist()
        assert names[0] == "archive/data.pkl" and names[-2:] == ["archive/version", "archive/.data/serialization_id"]
        assert {"archive/byteorder", "archive/.format_version", "archive/.storage_alignment"} <= set(names)
        assert zf.read("archive/version") == b"3\n" and zf.read("archive/byteorder") == b"little"
        data = sorted(n for n in names if n.startswith("archive/data/"))
        assert data == ["archive/data/0", "archive/data/1", "archive/data/2"]  # w and row share storage 0
        assert zf.read("archive/data/0") == np.arange(6.0, dtype=np.float32).tobytes()
        assert zf.read("archive/data/2") == b"\x01\x00"
        for info in zf.infolist():  # every record's bytes start 64-byte aligned (torch.load(mmap=True) needs it)
            name_len, extra_len = struct.unpack("<HH", buf.getvalue()[info.header_offset + 26:][:4])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
        globals_ = _pickle_globals(zf.read("archive/data.pkl"))
    assert globals_ == {"torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter", "torch FloatStorage",
                        "torch BoolStorage", "torch complex64", "torch Size", "torch device",
                        "collections OrderedDict"}
    buf.seek(0)
    out = load(buf)
    assert out["dt"] is ntorch.complex64 and out["size"] == ntorch.Size([2, 3])
    assert out["dev"] == ntorch.device("cuda", 1) and out["flags"].tolist() == [True, False]
    assert out["row"].storage_offset() == 3 and out["row"].untyped_storage() is out["w"].untyped_storage()


def test_files_of_ntorch_earlier_format_still_load():
    """Before ntorch wrote torch's format: storages.json, one .npy per storage, ntorch persistent ids."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("version", b"1")
        pid = ("ntorch.tensor", "0", 0, (2, 2), (2, 1), 1, True, False)

        class _P(pickle.Pickler):
            def persistent_id(self, obj):
                return pid if obj == "T" else None

        raw = io.BytesIO()
        _P(raw, protocol=2).dump({"t": "T", "n": 1})
        zf.writestr("data.pkl", raw.getvalue())
        zf.writestr("storages.json", '{"0": {"dtype": "float64", "location": "cpu", "numel": 5, "refs": 1}}')
        npy = io.BytesIO()
        np.save(npy, np.arange(5.0), allow_pickle=False)
        zf.writestr("storages/0.npy", npy.getvalue())
    buf.seek(0)
    out = load(buf)
    assert out["n"] == 1 and out["t"].requires_grad and out["t"].tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_dtype_view_of_shared_memory_is_saved_as_its_own_copy():
    x = ntorch.tensor([1.0, -2.0])
    bits = x.view(ntorch.int32)
    out = _round_trip([x, bits])
    assert out[0].tolist() == [1.0, -2.0] and out[1].tolist() == bits.tolist()
    assert out[1].dtype is ntorch.int32
