"""ntorch.load of files written by torch.save (torch 2.13, zip format). The fixtures in tests/data were written
once by torch 2.13.0 (the script is in the docstring of tests/data/README); the values below are the ones that
script stored (aranges and literals), checked here with NumPy."""

import os
import pickle

import numpy as np
import pytest

import ntorch

DATA = os.path.join(os.path.dirname(__file__), "data")


def _load(name, **kw):
    return ntorch.load(os.path.join(DATA, name), **kw)


def test_torch_checkpoint_values_dtypes_and_layouts():
    obj = _load("torch_2_13_checkpoint.pt")
    sd = obj["state_dict"]
    assert list(sd) == ["weight", "bias"]
    np.testing.assert_allclose(sd["weight"].numpy(), np.arange(6, dtype=np.float32).reshape(2, 3) / 10)
    np.testing.assert_array_equal(sd["bias"].numpy(), [0.5, -0.5])
    np.testing.assert_array_equal(obj["view_a"].numpy(), np.arange(2, 8, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(obj["view_b"].numpy(), [0.0, 3.0, 6.0, 9.0])
    t = obj["transposed"]
    assert t.dtype is ntorch.int64 and t.stride() == (1, 3)
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3).T)
    assert obj["half"].dtype is ntorch.float16 and obj["half"].tolist() == [1.5, -2.25]
    assert obj["flags"].tolist() == [True, False, True]
    p = obj["param"]
    assert isinstance(p, ntorch.nn.Parameter) and p.requires_grad and p.dtype is ntorch.float64
    assert obj["grad_leaf"].requires_grad and obj["grad_leaf"].is_leaf
    assert obj["scalar"].shape == () and obj["scalar"].item() == 4.5
    meta = obj["meta"]
    assert meta["epoch"] == 7 and meta["name"] == "run" and meta["tags"] == ("a", "b")
    assert meta["shape"] == ntorch.Size([2, 3]) and meta["dtype"] is ntorch.float16
    assert meta["device"] == ntorch.device("cpu")


def test_views_of_one_storage_share_memory_again():
    obj = _load("torch_2_13_checkpoint.pt")
    obj["view_a"][0, 1] = 100.0  # element 3 of the shared storage, which view_b also holds at [1]
    assert obj["view_b"][1].item() == 100.0


def test_a_torch_state_dict_loads_into_an_ntorch_module():
    lin = ntorch.nn.Linear(3, 2)
    lin.load_state_dict(_load("torch_2_13_checkpoint.pt")["state_dict"])
    out = lin(ntorch.ones(1, 3))
    np.testing.assert_allclose(out.detach().numpy(), [[0.3 + 0.5, 1.2 - 0.5]], rtol=1e-6)


def test_weights_only_refuses_other_globals_as_torch():
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        _load("torch_2_13_unsafe_global.pt")
    obj = _load("torch_2_13_unsafe_global.pt", weights_only=False)
    assert obj["counter"] == {"a": 2, "b": 1}
