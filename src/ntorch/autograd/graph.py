"""The autograd graph: one Node per recorded op, holding what its backward needs.

A Node's `next_functions` has one edge per tensor input of the forward op: `(node, output_nr)` of the
node that produced it (an `AccumulateGrad` for a leaf), or `(None, 0)` when that input needs no gradient.
Saved tensors remember the version of their storage when saved, so that an in-place change made before
backward is caught, as in PyTorch.
"""

from __future__ import annotations

import sys
import traceback
import weakref
from collections.abc import Callable, Sequence

import numpy as np

from ..cuda.array import CudaArray
from ..dtypes import _FROM_NP, bfloat16
from ..tensor import InferenceStorage, Tensor
from . import grad_mode

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call "
          ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
          "a second time or if you need to access saved tensors after calling backward.")


_STATE = grad_mode.STATE
_SAVE_INFERENCE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in "
    "autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")


def _relinked(t: Tensor, node_ref, output_nr: int) -> Tensor:
    """A saved output of its own node, given back with its link to that node (for create_graph) while the node
    lives and grad mode is on; any other saved tensor as it is."""
    if node_ref is not None:
        node = node_ref()
        if node is not None and grad_mode.STATE.enabled:
            alias = t.detach()
            alias.requires_grad = True
            alias._grad_fn = node
            alias._output_nr = output_nr
            return alias
    return t


class SavedTensor:
    """A tensor saved for backward, with its version at save time.

    An output of the saving node is kept as a detached alias plus a weak reference to the node (a strong one
    would be a reference cycle node -> output -> node); unpacking rebuilds the link for create_graph."""

    __slots__ = ("tensor", "version", "node_ref", "output_nr")

    def __init__(self, t: Tensor, node: Node | None = None) -> None:
        store = t._store  # a tensor without a Storage object yet was never written in place: version 0
        if store is None:
            self.version = 0
        elif type(store) is InferenceStorage:  # (saving happens only with grad mode on: outside inference_mode)
            raise RuntimeError(_SAVE_INFERENCE)
        else:
            self.version = store.version
        self.output_nr = t._output_nr
        if node is not None and t._grad_fn is node:
            self.tensor = t.detach()
            self.node_ref = weakref.ref(node)
        else:
            self.tensor = t
            self.node_ref = None

    def unpack(self, owner: Node) -> Tensor:
        t = self.tensor
        if t._version != self.version:
            from ..ops.shape import _legacy_type

            producer = owner if self.node_ref is not None else t._grad_fn
            where = f", which is output {self.output_nr} of {producer.name()}," if producer is not None else ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{_legacy_type(t)} {list(t.shape)}]{where} is at version {t._version}; expected version "
                f"{self.version} instead. Hint: enable anomaly detection to find the operation that failed to "
                "compute its gradient, with torch.autograd.set_detect_anomaly(True).")
        return _relinked(t, self.node_ref, self.output_nr)


class HookedSavedTensor:
    """A tensor saved while saved_tensors_hooks were active: what pack_hook returned, given to unpack_hook on
    each access (no version check: the hooks own the value, as in torch)."""

    __slots__ = ("packed", "unpack_hook", "node_ref", "output_nr")

    def __init__(self, t: Tensor, node: Node | None, pack: Callable, unpack: Callable) -> None:
        if type(t._store) is InferenceStorage:
            raise RuntimeError(_SAVE_INFERENCE)
        with grad_mode.no_grad():  # as torch: what the pack hook computes records nothing
            self.packed = pack(t)
        self.unpack_hook = unpack
        self.output_nr = t._output_nr
        self.node_ref = weakref.ref(node) if node is not None and t._grad_fn is node else None

    def unpack(self, owner: Node) -> Tensor:
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(t).__name__}")
        return _relinked(t, self.node_ref, self.output_nr)


def saved_tensor(t: Tensor, node: Node | None) -> SavedTensor | HookedSavedTensor:
    """How `node` keeps t for its backward: through the innermost saved_tensors_hooks if any are active."""
    hooks = _STATE.saved_hooks
    if hooks:
        return HookedSavedTensor(t, node, *hooks[-1])
    return SavedTensor(t, node)


class Node:
    """A backward function: grads of the forward's outputs in, grads of its tensor inputs out.

    Creating one is on every recorded op's path, so rarely used fields (hooks, metadata, the anomaly
    stack) are class-level defaults, made per node only when used."""

    # the fields every node has live in slots; the instance dict is only made for the others
    __slots__ = ("_name", "_backward", "next_functions", "_saved", "_output_meta", "__dict__", "__weakref__")

    _materialize_grads = True
    _forward_stack = None
    _tensor_pre_hooks: dict = {}  # output_nr -> hooks of the tensors this node produced (copied on write)
    _hooks: tuple = ()
    _pre_hooks: tuple = ()

    def __init__(self, name: str, backward: Callable | None, inputs: Sequence) -> None:
        self._name = name
        self._backward = backward  # backward(node, *grad_outputs) -> one grad (or None) per input
        self.next_functions = tuple([edge_of(t) for t in inputs if t is None or isinstance(t, Tensor)])
        self._saved: list | tuple = ()  # (save() replaces it; an empty tuple is a shared object)
        self._output_meta: list[tuple] = []  # (shape, dtype) of each output, to make zero grads
        if _STATE.anomaly:
            self._forward_stack = traceback.format_stack()[:-3]

    def __getattr__(self, name: str):
        """Only reached for names the node lacks: torch's _saved_<name> attributes (see saved_attributes.py)."""
        if name.startswith("_saved_"):
            from .saved_attributes import read

            return read(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(e[0] is not None for e in self.next_functions)

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    def tensor_pre_hooks(self, output_nr: int) -> list:
        """The (mutable) hook list of this node's output `output_nr`."""
        if "_tensor_pre_hooks" not in self.__dict__:
            self._tensor_pre_hooks = {}
        return self._tensor_pre_hooks.setdefault(output_nr, [])

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"

    def save(self, *tensors: Tensor | None) -> None:
        self._saved = [None if t is None else saved_tensor(t, self) for t in tensors]

    @property
    def _released(self) -> bool:
        return self._saved is None

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(_FREED)
        return tuple(None if s is None else s.unpack(self) for s in self._saved)

    def apply(self, *grad_outputs) -> tuple:
        if self._saved is None:
            raise RuntimeError(_FREED)
        grads = self._backward(self, *grad_outputs)
        return grads if isinstance(grads, tuple) else (grads,)

    def release(self) -> None:
        """Free saved tensors once backward has run (unless retain_graph); a released node has _saved None. A node
        that saved nothing stays runnable: torch raises only when a freed saved tensor is read."""
        if self._saved:
            self._saved = None

    def register_hook(self, fn: Callable) -> _Handle:
        """fn(grad_inputs, grad_outputs) after this node runs; may return replacement grad_inputs."""
        if "_hooks" not in self.__dict__:
            self._hooks = []
        self._hooks.append(fn)
        return _Handle(self._hooks, fn)

    def register_prehook(self, fn: Callable) -> _Handle:
        """fn(grad_outputs) before this node runs; may return replacement grad_outputs."""
        if "_pre_hooks" not in self.__dict__:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _Handle(self._pre_hooks, fn)


_NEXT_SLOT = Node.__dict__["next_functions"]  # the slot's descriptor, read by the named classes' property
_NAMED_CLASSES: dict = {}  # (base class, node name) -> its subclass of that name


def _named_next_functions(node: Node) -> tuple:
    edges = _NEXT_SLOT.__get__(node)
    for child, _ in edges:
        if child is not None:
            named_node(child)
    return edges


def _set_next_functions(node: Node, edges: tuple) -> None:
    _NEXT_SLOT.__set__(node, edges)


def named_node(node):
    """Give node a class of its name (torch has one class per backward function: type(y.grad_fn).__name__ is
    'MulBackward0'). Done lazily, when a user reaches the node (Tensor.grad_fn, next_functions), so recording an
    op stays one shared-class allocation; the class adds no slots, so __class__ can be swapped."""
    if node is None:
        return None
    cls = type(node)
    name = node._name
    if cls.__name__ != name:
        base = cls.__bases__[0] if cls in _NAMED_SET else cls
        key = (base, name)
        named = _NAMED_CLASSES.get(key)
        if named is None:
            named = type(name, (base,), {"__slots__": (), "__module__": base.__module__,
                                         "next_functions": property(_named_next_functions, _set_next_functions)})
            _NAMED_CLASSES[key] = named
            _NAMED_SET.add(named)
        node.__class__ = named
    return node


_NAMED_SET: set = set()


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into `variable.grad`.

    The leaf keeps its node (Tensor._grad_accumulator) so that every forward reuses it instead of building one per
    call (see grad_accumulator); the node holds the leaf weakly, so the pair is no reference cycle and a leaf is
    freed as soon as it is dropped."""

    __slots__ = ("_variable",)

    def __init__(self, variable: Tensor) -> None:  # (Node.__init__'s fields, set directly: a leaf has no inputs)
        self._name = "AccumulateGrad"
        self._backward = None
        self.next_functions = ()
        self._saved = ()
        self._output_meta = ()
        self._variable = weakref.ref(variable)

    @property
    def variable(self) -> Tensor | None:
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def apply(self, grad):
        t = self._variable()
        if t is not None:
            accumulate_into_grad(t, grad)
        return ()

    def release(self) -> None:
        pass


def accumulate_into_grad(t: Tensor, grad: Tensor, owned: bool = False) -> None:
    """Add `grad` into t._grad. `owned`: the caller checked (sole_owner) that nothing else references grad or its
    memory, so it can become .grad without a copy, as PyTorch steals a gradient whose use count is 1 (and which
    obeys the gradient layout contract; otherwise .grad is a copy laid out like the variable)."""
    if grad is None:
        return
    want = t._grad_dtype
    if want is not False and want is not None and grad.dtype != want:  # a grad_dtype set apart from t's dtype
        grad, owned = grad.to(want), True
    if t._grad is None:
        if owned and not grad_mode.STATE.enabled and grad._data.shape == t._data.shape \
                and t._grad_fn is None and obeys_layout_contract(grad, t):
            t._grad = grad.detach()
        elif grad_mode.STATE.enabled:  # create_graph: a recorded copy (torch's node is CopyBackwards)
            t._grad = _clone_obey_contract(grad, t)
            if t._grad._grad_fn is not None:
                t._grad._grad_fn._name = "CopyBackwards"
        else:  # a copy: the gradient may be another leaf's .grad too, or the user's tensor
            t._grad = _clone_obey_contract(grad.detach(), t)
    elif grad_mode.STATE.enabled:  # create_graph: keep the sum differentiable
        t._grad = t._grad + grad
    elif t._grad._data.shape == grad._data.shape and t._grad._data.dtype == grad._data.dtype \
            and t._grad._data.dtype.kind == "f" and t._grad._data.dtype.itemsize >= 4 \
            and type(t._grad._data) is np.ndarray and type(grad._data) is np.ndarray:
        np.add(t._grad._data, grad._data, out=t._grad._data)  # the common case, without the op machinery
        t._grad._bump_version()
    else:
        t._grad.add_(grad)


def obeys_layout_contract(grad: Tensor, variable: Tensor) -> bool:
    """torch's utils::obeys_layout_contract: a dense variable's grad has the variable's strides (size-1 dims
    may differ, but not be 0-strided); any other variable's grad is C-contiguous."""
    garr, varr = grad._data, variable._data
    if type(garr) is np.ndarray and type(varr) is np.ndarray and garr.strides == varr.strides \
            and garr.itemsize == varr.itemsize and varr.flags.c_contiguous and garr.size and 0 not in garr.strides:
        return True  # (the common case: both C-contiguous with equal strides, without the checks below)
    from ..ops.shape import _non_overlapping_and_dense

    vstrides = variable.stride()
    if not _non_overlapping_and_dense(variable._data.shape, vstrides):
        return grad.is_contiguous()
    for n, gs, vs in zip(grad._data.shape, grad.stride(), vstrides):
        if (gs != vs) if n != 1 else (gs == 0):
            return False
    return True


def _clone_obey_contract(grad: Tensor, variable: Tensor) -> Tensor:
    """torch's utils::clone_obey_contract: a copy with the variable's strides when the variable is dense and
    non-overlapping, else C-contiguous. A non-leaf's retained grad is always C-contiguous (torch's retain_grad
    hook clones with MemoryFormat::Contiguous)."""
    arr, varr = grad._data, variable._data
    if type(arr) is np.ndarray and arr.flags.c_contiguous and type(varr) is np.ndarray and varr.flags.c_contiguous \
            and 1 not in arr.shape and variable._grad_fn is None:
        return grad.clone()  # (the common case, without the checks below)
    from ..ops.shape import _copy_with_strides, _non_overlapping_and_dense
    from ..tensor import _contiguous_strides

    shape, vstrides = varr.shape, variable.stride()
    if variable._grad_fn is None and _non_overlapping_and_dense(shape, vstrides):
        strides = vstrides
    else:
        strides = _contiguous_strides(shape)
    return _copy_with_strides(grad, strides)


def _reference_counts(t: Tensor) -> tuple:
    arr = t._data
    base = arr.base
    return sys.getrefcount(t), sys.getrefcount(arr), (0 if base is None else sys.getrefcount(base))


def sole_owner(g: Tensor) -> bool:
    """Whether the caller's local variable is the only reference to tensor g and to its memory, and g is
    dense and non-overlapping (C-contiguous on a device; accumulate_into_grad checks the layout contract).
    Counts are compared with ones measured at import in the same call pattern, so the interpreter's own
    references cancel out."""
    arr = g._data
    if type(arr) is CudaArray:  # the tensor, its array and the device block: nothing else may hold them
        if g._base is not None or g._store is not None or arr.offset != 0 or not arr.flags.c_contiguous:
            return False
        block = arr.block
        cached = sum(1 for v in (arr._dev, arr._flat_dev) if getattr(v, "owner", None) is block)  # kernel views
        if not _SOLE_CUDA:
            _calibrate_cuda(block.device)
        del arr, block
        tc, ac, bc = _SOLE_CUDA[0]
        t, a, b = _cuda_reference_counts(g)
        return t <= tc and a <= ac and b <= bc + cached
    if type(arr) is not np.ndarray or g._base is not None or g._store is not None:
        return False
    if not arr.flags.c_contiguous and not _dense(arr):
        return False
    base = arr.base
    kind = 0 if base is None else 1 if base is g._flat else 2
    if kind and base.base is not None:
        return False  # a view of a view: something else may hold the memory
    del arr, base  # this frame's own references would count
    return _reference_counts(g) <= _SOLE[kind]


def _dense(arr: np.ndarray) -> bool:
    """Whether a NumPy array's elements fill its span exactly once (torch's is_non_overlapping_and_dense)."""
    from ..ops.shape import _non_overlapping_and_dense

    item = arr.itemsize
    return arr.size > 0 and _non_overlapping_and_dense(arr.shape, tuple(s // item for s in arr.strides))


def _probe(g: Tensor) -> tuple:
    return _reference_counts(g)  # one frame between the caller and the count, as in sole_owner


def _cuda_reference_counts(g: Tensor) -> tuple:
    arr = g._data
    return sys.getrefcount(g), sys.getrefcount(arr), sys.getrefcount(arr.block)


_SOLE_CUDA: list = []  # the counts of a CUDA tensor only the caller holds, measured on first use (needs a device)


def _calibrate_cuda(device: int) -> None:
    from ..cuda.array import empty_checked

    g = Tensor._wrap(empty_checked((2,), np.dtype(np.float32), device))
    _SOLE_CUDA.append(_probe_cuda(g))


def _probe_cuda(g: Tensor) -> tuple:
    return _cuda_reference_counts(g)  # one frame between the caller and the count, as in sole_owner


def _calibrate(kind: int) -> tuple:
    """Reference counts of a tensor that only the caller holds: own memory (0), a reshape of its cached flat
    array (1, the elementwise fast path's results), a reshape of an array nothing else holds (2)."""
    arr = np.empty(2, np.float32)
    g = Tensor._wrap(arr if kind == 0 else arr.reshape(1, 2))
    if kind == 1:
        g._flat = arr
    del arr
    return _probe(g)


_SOLE = [_calibrate(kind) for kind in range(3)]


class _Handle:
    """What register_hook returns: `.remove()` unregisters the hook."""

    def __init__(self, hooks, fn) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def grad_accumulator(t: Tensor) -> AccumulateGrad:
    """A leaf's AccumulateGrad, shared by every op that uses the leaf and kept by the leaf between graphs. torch
    makes a new one once no graph holds the old: a kept node that a user gave hooks or metadata (its instance dict)
    and that no graph holds any more is replaced, so that reuse is never visible."""
    acc = t._grad_accumulator
    if acc is None or (acc.__dict__ and sys.getrefcount(acc) <= _ACC_ALONE):
        acc = t._grad_accumulator = AccumulateGrad(t)
    return acc


def _kept_accumulator_refs(t: Tensor) -> int:
    acc = t._grad_accumulator
    return sys.getrefcount(acc)  # (the same references as in grad_accumulator: the leaf's, a local, the argument)


def _calibrate_accumulator() -> int:
    t = Tensor._wrap(np.empty(1, np.float32))
    t._grad_accumulator = AccumulateGrad(t)
    return _kept_accumulator_refs(t)


_ACC_ALONE = _calibrate_accumulator()


def edge_of(t: Tensor | None) -> tuple:
    if t is None or not t._requires_grad:
        return (None, 0)
    fn = t._grad_fn
    if fn is not None:
        if t._base is not None and getattr(t, "_grad_fn_version", t._store.version) != t._store.version:
            from .inplace import refresh_view

            fn = refresh_view(t)
        return (fn, t._output_nr)
    return (grad_accumulator(t), 0)


def needs_graph(*inputs) -> bool:
    """True when an op on these inputs must record a node: grad mode is on and some input requires grad."""
    if not _STATE.enabled:
        return False
    for t in inputs:
        if getattr(t, "_requires_grad", False):  # False for non-tensors and tensors that need no grad
            return True
    return False


# Nodes whose backward is right for complex tensors too (torch's convention: ops/elementwise.py, before
# COMPLEX_DERIVATIVES): maps linear with real coefficients (views, copies, indexing, joins, sums), the products (they
# conjugate the other factor), the complex views and the FFTs. Any other node refuses a complex output at forward
# time rather than give a wrong gradient.
COMPLEX_NODES = frozenset({
    "ViewBackward0", "UnsafeViewBackward0", "ReshapeAliasBackward0", "TransposeBackward0", "TBackward0",
    "PermuteBackward0", "ExpandBackward0", "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2",
    "UnsqueezeBackward0", "SliceBackward0", "SelectBackward0", "UnbindBackward0", "SplitBackward0",
    "SplitWithSizesBackward0", "NarrowBackward0", "FlipBackward0", "RollBackward0", "CloneBackward0", "AliasBackward0",
    "ToCopyBackward0", "CopyBackwards", "CopySlices", "AsStridedBackward0", "DiagonalBackward0", "CatBackward0",
    "StackBackward0", "IndexBackward0", "IndexSelectBackward0", "MaskedFillBackward0", "EmbeddingBackward0",
    "ConstantPadNdBackward0", "TraceBackward0", "RepeatBackward0", "TrilBackward0", "TriuBackward0",
    "IndexPutBackward0", "FillBackward0", "SumBackward0", "SumBackward1", "MeanBackward0", "MeanBackward1",
    "CumsumBackward0", "CumprodBackward0", "LogcumsumexpBackward0", "MmBackward0", "AddmmBackward0", "BmmBackward0",
    "MvBackward0", "DotBackward0",
    "RealBackward0", "ImagBackward0", "ViewAsRealBackward0", "ViewAsComplexBackward0", "ContiguousBackward0",
    "MovedimBackward0", "DiagEmbedBackward0", "GatherBackward0", "TakeBackward0", "ScatterBackward0",
    "ScatterBackward1", "ScatterAddBackward0", "IndexAddBackward0", "PutBackward0", "MaskedSelectBackward0",
    # ntorch.fft's real-linear primitives (each backward is its adjoint, right for complex tensors)
    "FftC2CBackward0", "FftR2CBackward0", "FftC2RBackward0", "FftR2CBackwardBackward0", "FftC2RBackwardBackward0",
    "FftResizeBackward0", "ToComplexBackward0",
    # nn/conv.py's complex convolutions: linear maps between complex tensors and real blocks (backward: transpose)
    "RealBlocksToComplexBackward0", "ComplexToRealBlocksBackward0",
    "LinalgEigBackward0",  # linalg.eig: torch's complex formula (ntorch.ops.eig)
    # ops/decomp.py: torch's complex formulas (.mH for .mT, and their complex terms; gradcheck in complex128 in
    # tests/test_linalg_complex.py)
    "LinalgDetBackward0", "LinalgSlogdetBackward0", "LinalgInvExBackward0", "LinalgSolveExBackward0",
    "LinalgLuBackward0", "LinalgSolveTriangularBackward0", "LinalgCholeskyExBackward0", "LinalgQrBackward0",
    "LinalgEighBackward0", "LinalgSvdBackward0",
})


def _complex_ok(node: Node) -> bool:
    if node._name in COMPLEX_NODES:
        return True
    raise NotImplementedError(f"{node._name}: the derivative for complex tensors is not implemented in ntorch")


def attach(node: Node, outputs: Sequence[Tensor], saved: Sequence[Tensor | None] = ()) -> Node:
    """Make `node` the grad_fn of a forward op's floating-point and complex outputs and save what its backward reads
    (the caller checked `needs_graph(*inputs)`)."""
    meta = node._output_meta
    i = 0
    for out in outputs:
        arr = out._data
        dt = _FROM_NP[arr.dtype]
        meta.append((arr.shape, dt) if type(arr) is np.ndarray else (arr.shape, dt, arr.device))
        kind = arr.dtype.kind
        # floating-point (ml_dtypes' bfloat16 has kind 'V') and complex outputs
        if kind == "f" or dt is bfloat16 or (kind == "c" and _complex_ok(node)):
            out._requires_grad = True
            out._grad_fn = node
            out._output_nr = i
            if out._base is not None:  # a view: its history is valid for this version of the storage
                out._grad_fn_version = out._store.version
        i += 1
    if saved:
        node.save(*saved)
    return node


def renamed(res: Tensor, name: str) -> Tensor:
    """res with the node its op just made renamed to torch's name for the function the user called (an op built
    from another one: torch's node is named after the overload, e.g. `2 - t` RsubBackward1)."""
    node = res._grad_fn
    if node is not None and _STATE.enabled:  # (under no_grad no node was made: an out= tensor keeps its own)
        node._name = name
    return res


def record(name: str, backward: Callable, inputs: Sequence, outputs: Sequence[Tensor],
           saved: Sequence[Tensor | None] = ()) -> Node:
    """Attach a plain Node whose backward is `backward(node, *grad_outputs)`."""
    return attach(Node(name, backward, inputs), outputs, saved)


class saved_tensors_hooks:
    """torch.autograd.graph.saved_tensors_hooks: tensors saved for backward inside the block go through
    pack_hook(tensor) -> anything, and come back through unpack_hook(that) -> tensor when backward reads them.
    Nested blocks: the innermost pair wins."""

    def __init__(self, pack_hook: Callable, unpack_hook: Callable) -> None:
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _STATE.saved_hooks_disabled is not None:
            raise RuntimeError(_STATE.saved_hooks_disabled)
        _STATE.saved_hooks = (*_STATE.saved_hooks, (self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        _STATE.saved_hooks = _STATE.saved_hooks[:-1]


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors move to the CPU when saved and back to their device when backward reads them."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t: Tensor):
            return t.device, t.cpu()

        def unpack(packed) -> Tensor:
            device, t = packed
            return t.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Inside the block, registering saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> disable_saved_tensors_hooks:
        self._previous = _STATE.saved_hooks_disabled
        _STATE.saved_hooks_disabled = self.error_message
        return self

    def __exit__(self, *exc) -> None:
        _STATE.saved_hooks_disabled = self._previous
