"""torch's `grad_fn._saved_<name>` attributes, read from what each ntorch node already keeps.

One table maps a node name to its attribute names and a spec of where the value lives; `Node.__getattr__` (only
reached for names a node does not have) reads it, so recording a node costs nothing more. Specs:
  ("slot", letter)         an elementwise node's operand x / y / z or result o (its saved tensor, or the Python number
                           it was called with; None when the node did not save it, as torch's undefined tensor)
  ("wrapped", letter)      the same, a Python number given as torch's wrapped 0-d tensor (mul / div by a number)
  ("cross", letter, i)     ("slot", letter), None unless operand i needs a gradient (torch's div saves self only for
                           the gradient of other)
  ("saved", i)             the node's i-th saved tensor
  ("mat2",), ("mat1",)     mm's operands; linear's node keeps (input, weight): torch's mat1 is the 2-D input, mat2
                           weight.t()
  ("sizes", spec), ("strides", spec)   shape / strides of the tensor another spec reads
  ("field", name)          a plain node attribute (reductions' dims / keepdim / shape, softmax's dim)
  ("numel",)               a reduction input's element count
  ("alpha", default)       add / sub's alpha (a parameter of the node, else the default)
  ("attr_or", name, value) a node attribute, or the value ntorch's node implies (addmm's alpha and beta: 1 for linear)
Reading a saved tensor after backward freed it raises torch's "Trying to backward through the graph a second time"
error; sizes, dims and numbers stay readable, as in torch.
"""

from __future__ import annotations

_SELF, _OTHER, _RESULT = ("slot", "x"), ("slot", "y"), ("slot", "o")

# elementwise nodes, grouped by the attributes torch gives them
_ELEMENTWISE = {
    ("self",): "Abs Log Log1P Log2 Log10 Sin Cos Sinh Cosh Asin Acos Atan Asinh Acosh Atanh Erf Erfc Erfinv Silu "
               "Mish Lgamma Digamma Sign Sgn Trunc Frac Hardswish Hardsigmoid",
    ("result",): "Exp Exp2 Expm1 Tanh Sigmoid Relu Sqrt Rsqrt Reciprocal Tan",
    ("self", "other"): "Atan2 Maximum Minimum Fmax Fmin Hypot Xlogy Copysign",
    ("mul",): "Mul",
    ("div",): "Div",
    ("alpha",): "Add Sub Rsub",
}
_ATTRIBUTE_SPECS = {
    "self": {"_saved_self": _SELF},
    "result": {"_saved_result": _RESULT},
    "other": {"_saved_other": _OTHER},
    "mul": {"_saved_self": ("wrapped", "x"), "_saved_other": ("wrapped", "y")},
    "div": {"_saved_self": ("cross", "x", 1), "_saved_other": ("wrapped", "y")},
    "alpha": {"_saved_alpha": ("alpha", 1)},
}


def _mm(mat1: tuple, mat2: tuple, prefix1: str = "self") -> dict:
    return {f"_saved_{prefix1}": mat1, f"_saved_{prefix1}_sym_sizes": ("sizes", mat1),
            f"_saved_{prefix1}_sym_strides": ("strides", mat1), "_saved_mat2": mat2,
            "_saved_mat2_sym_sizes": ("sizes", mat2), "_saved_mat2_sym_strides": ("strides", mat2)}


_REDUCED = {"_saved_dim": ("field", "dims"), "_saved_keepdim": ("field", "keepdim"),
            "_saved_self_sym_sizes": ("field", "shape")}
_POW = {"_saved_self": _SELF, "_saved_exponent": _OTHER}

SAVED: dict[str, dict] = {
    "PowBackward0": _POW, "PowBackward1": {**_POW, "_saved_result": _RESULT},
    "PowBackward2": {**_POW, "_saved_result": _RESULT},
    "SumBackward0": {"_saved_self_sym_sizes": ("field", "shape")}, "SumBackward1": _REDUCED,
    "MeanBackward0": {"_saved_self_sym_sizes": ("field", "shape"), "_saved_self_sym_numel": ("numel",)},
    "MeanBackward1": {**_REDUCED, "_saved_self_sym_numel": ("numel",)},
    "DotBackward0": {"_saved_self": ("saved", 0), "_saved_tensor": ("saved", 1)},
    "MvBackward0": {"_saved_self": ("saved", 0), "_saved_vec": ("saved", 1)},
    "BmmBackward0": {"_saved_self": ("saved", 0), "_saved_mat2": ("saved", 1)},
    "MmBackward0": _mm(("mat1",), ("mat2",)),
    "AddmmBackward0": {**_mm(("mat1",), ("mat2",), "mat1"), "_saved_alpha": ("attr_or", "alpha", 1),
                       "_saved_beta": ("attr_or", "beta", 1)},
    "SoftmaxBackward0": {"_saved_dim": ("field", "dim"), "_saved_result": ("saved", 0)},
    "LogSoftmaxBackward0": {"_saved_dim": ("field", "dim"), "_saved_result": ("saved", 0)},
}
for _kinds, _names in _ELEMENTWISE.items():
    _attrs = {}
    for _kind in _kinds:
        _attrs.update(_ATTRIBUTE_SPECS[_kind])
    for _name in _names.split():
        SAVED[f"{_name}Backward1" if _name == "Rsub" else f"{_name}Backward0"] = _attrs
SAVED["Atan2Backward0"] = SAVED["MaximumBackward0"] = {**_ATTRIBUTE_SPECS["self"], **_ATTRIBUTE_SPECS["other"]}


def _freed():
    from .graph import _FREED

    return RuntimeError(_FREED)


def _tensor(node, spec: tuple):
    """The tensor (or number) a tensor-valued spec reads."""
    kind = spec[0]
    if kind == "cross":
        if node.next_functions[spec[2]][0] is None:
            return None
        kind, spec = "slot", ("slot", spec[1])
    if kind == "slot" or kind == "wrapped":
        letter = spec[1]
        scalars = getattr(node, "scalars", None)
        if scalars and letter in scalars:
            value = scalars[letter]
            if kind == "wrapped":
                from .. import dtypes
                from ..ops.creation import tensor

                dt = dtypes.bool if isinstance(value, bool) else dtypes.int64 if isinstance(value, int) else \
                    dtypes.complex128 if isinstance(value, complex) else dtypes.float64
                return tensor(value, dtype=dt)  # (torch's wrapped number)
            return value
        if node._saved is None:
            raise _freed()
        slots = getattr(node, "slots", ())
        return node._saved[slots.index(letter)].unpack(node) if letter in slots else None
    if node._saved is None:
        raise _freed()
    if kind == "saved":
        s = node._saved[spec[1]]
        return None if s is None else s.unpack(node)
    linear = "bias_shape" in node.__dict__  # nn.functional.linear's node keeps (input, weight)
    if kind == "mat1":
        t = node._saved[0].unpack(node)
        return t.reshape(-1, t.shape[-1]) if linear and t.ndim != 2 else t
    t = node._saved[1].unpack(node)  # mat2
    return t.t() if linear else t


def read(node, name: str):
    """The value of node._saved_<...> `name`; AttributeError when torch's node of that name has no such attribute."""
    spec = SAVED.get(node._name, {}).get(name)
    if spec is None:
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '{name}'")
    kind = spec[0]
    if kind == "field":
        return getattr(node, spec[1])
    if kind == "numel":
        n = 1
        for d in node.shape:
            n *= d
        return n
    if kind == "alpha":
        params = getattr(node, "params", ())
        return params[0] if params else spec[1]
    if kind == "attr_or":
        return getattr(node, spec[1], spec[2])
    if kind == "sizes" or kind == "strides":
        t = _tensor(node, spec[1])
        return None if t is None else tuple(t.shape) if kind == "sizes" else t.stride()
    return _tensor(node, spec)
