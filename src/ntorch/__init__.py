"""ntorch: a PyTorch-style tensor library whose kernels are JIT-compiled by Numba.

`import ntorch` compiles nothing: kernels are generated and compiled on first use, then cached on
disk (see ntorch/kernels/cpu/codegen.py).
"""

from __future__ import annotations

import os as _os

# GNU OpenMP is Numba's thread-safe threading layer that needs no extra package (workqueue is not
# thread-safe): ntorch may be called from several Python threads at once.
_os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")

from . import (
    _methods,  # noqa: E402, F401
    amp,  # noqa: F401  (ntorch.amp, as torch.amp)
    autograd,
    dispatch,  # noqa: E402
    linalg,  # noqa: E402, F401  (ntorch.linalg, as torch.linalg)
    nn,
    special,  # noqa: F401  (ntorch.special, as torch.special)
    utils,
)
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .devices import device  # noqa: E402
from .dtypes import (  # noqa: E402, F401
    bfloat16,  # noqa: E402, F401
    bool,
    can_cast,
    cdouble,
    cfloat,
    chalf,
    complex32,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from .dtypes import float16 as half  # noqa: E402, F401
from .dtypes import float32 as float
from .dtypes import float64 as double
from .dtypes import int16 as short  # noqa: E402, F401
from .dtypes import int32 as int
from .dtypes import int64 as long
from .layouts import (  # noqa: E402, F401
    channels_last,
    channels_last_3d,
    contiguous_format,
    jagged,
    layout,
    memory_format,
    preserve_format,
    sparse_bsc,
    sparse_bsr,
    sparse_coo,
    sparse_csc,
    sparse_csr,
    strided,
)
from .ops._util import (
    broadcast_shapes,  # noqa: E402, F401
    result_type,
)
from .ops.conversion import masked_fill
from .ops.creation import (  # noqa: E402, F401
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .ops.linalg import FUNCTIONS as _LINALG
from .ops.pointwise import (  # noqa: E402, F401
    FUNCTIONS as _F,
)
from .ops.pointwise import (
    add,
    addcdiv,
    addcmul,
    allclose,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    div,
    divide,
    equal,
    float_power,
    floor_divide,
    isclose,
    lerp,
    nan_to_num,
    pow,
    round,
    rsub,
    square,
    sub,
    true_divide,
    where,
)
from .ops.reduction import FUNCTIONS as _REDUCTIONS
from .ops.shape import (  # noqa: E402, F401
    broadcast_to,
    clone,
    flatten,
    moveaxis,
    movedim,
    narrow,
    permute,
    ravel,
    reshape,
    select,
    squeeze,
    swapaxes,
    swapdims,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
)
from .printing import set_printoptions  # noqa: E402, F401
from .random import FUNCTIONS as _RANDOM
from .random import Generator, default_generator
from .serialization import load, save  # noqa: E402, F401
from .tensor import Size, Tensor  # noqa: E402, F401

globals().update(_RANDOM)
globals().update(_F)
globals().update(_REDUCTIONS)
globals().update(_LINALG)
# torch's legacy tensor and storage types (ntorch.FloatTensor, ntorch.cuda.FloatTensor, ntorch.FloatStorage)
from . import cuda as _cuda  # noqa: E402
from .legacy_types import CPU_TYPES as _CPU_TYPES  # noqa: E402
from .legacy_types import CUDA_TYPES as _CUDA_TYPES  # noqa: E402
from .storage import LEGACY_STORAGES as _LEGACY_STORAGES  # noqa: E402
from .storage import TypedStorage  # noqa: E402, F401

Storage = _LEGACY_STORAGES["FloatStorage"]  # torch.Storage: the legacy default (float32) storage type

globals().update(_CPU_TYPES)
globals().update(_LEGACY_STORAGES)
for _name, _cls in _CUDA_TYPES.items():
    setattr(_cuda, _name, _cls)

for _module in _methods.OP_MODULES + _methods.EXTRA_MODULES:
    globals().update(_module.FUNCTIONS)
from .ops.index_reduce import FUNCTIONS as _INDEX_REDUCE  # noqa: E402

globals().update(_INDEX_REDUCE)
from .ops.extra_names import FUNCTIONS as _EXTRA_NAMES  # noqa: E402

globals().update(_EXTRA_NAMES)

subtract, multiply, negative, absolute = sub, _F["mul"], _F["neg"], _F["abs"]
arcsin, arccos, arctan, fix = _F["asin"], _F["acos"], _F["atan"], _F["trunc"]
greater, less, greater_equal, less_equal, not_equal = _F["gt"], _F["lt"], _F["ge"], _F["le"], _F["ne"]
autocast = amp.autocast
GradScaler = amp.GradScaler  # torch.GradScaler
is_autocast_enabled, set_autocast_enabled = amp.is_autocast_enabled, amp.set_autocast_enabled
get_autocast_dtype, set_autocast_dtype = amp.get_autocast_dtype, amp.set_autocast_dtype

# torch's modules of the same names: compile/jit/profiler shims, backend flags, version, device-agnostic cpu
from . import accelerator, backends, compiler, cpu, version  # noqa: E402, F401
from .compiler import compile  # noqa: E402, A004

__version__ = version.__version__


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def _load_numba_registries() -> None:
    """Load Numba's typing and lowering registries at import (about 0.1 s, no compilation), so the first
    op of a process only has to load its kernel from the on-disk cache. NTORCH_LAZY_INIT=1 skips it."""
    if _os.environ.get("NTORCH_LAZY_INIT") == "1":
        return
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()


_load_numba_registries()


# Submodules a script may never touch load on first attribute access (`ntorch.optim`, as after
# `import ntorch.optim`), keeping them out of `import ntorch`'s time.
_LAZY_SUBMODULES = ("distributions", "fft", "func", "jit", "optim", "profiler", "quasirandom", "signal", "testing")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "vmap":  # torch.vmap is torch.func.vmap
        from .func import vmap

        return vmap
    raise AttributeError(f"module 'ntorch' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | {"vmap"})
