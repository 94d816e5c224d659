"""The CPU's per-matrix @njit functions (kernels/cpu/linalg*.py) as CUDA device functions, so one source gives
both devices' results.

On a GPU each named function is a copy of the CPU function's Python code whose globals are the CPU module's with
the named functions rebound to their device versions (the CPU function's own globals would call the CPU
dispatchers). Under the CUDA simulator each one is instead the CPU's compiled function called on the kernel's
host arrays: the simulator would run its Python source thread by thread, minutes per test for the LAPACK-like
steps, and that source is the CPU's, tested on the CPU. The simulated kernels around these calls (thread
indexing, workspace slices, scaling) still run as Python.
"""

from __future__ import annotations

import types

from .launch import SIMULATOR

__all__ = ["device_functions"]


def device_functions(cuda, module: types.ModuleType, names: tuple[str, ...]) -> dict:
    """name -> device function for each of `names`, @njit functions of the CPU kernel module `module`."""
    if SIMULATOR:
        return {name: _on_host_arrays(getattr(module, name)) for name in names}
    scope = dict(vars(module))
    for name in names:
        fn = getattr(module, name).py_func
        scope[name] = cuda.jit(device=True)(types.FunctionType(fn.__code__, scope, name, fn.__defaults__))
    return {name: scope[name] for name in names}


def _on_host_arrays(cpu_function):
    """cpu_function called with the simulator's in-kernel arrays unwrapped to the NumPy views they hold."""

    def call(*args):
        return cpu_function(*(_host_array(a) for a in args))

    call.__name__ = cpu_function.__name__
    return call


def _host_array(arg):
    item = getattr(arg, "_item", None)  # the simulator's FakeWithinKernelCUDAArray -> FakeCUDAArray -> ndarray
    return arg if item is None else item._ary
