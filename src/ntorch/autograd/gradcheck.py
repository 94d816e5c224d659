"""gradcheck / gradgradcheck: analytical gradients against central finite differences (use float64).

Complex tensors as torch's slow mode: a complex output is checked as two real functions (its real part, then its
imaginary part); a complex input's Jacobian column is the conjugate-Wirtinger gradient of each real output,
dL/d(real part) + i dL/d(imaginary part) (torch's convention), by differences along the real and the imaginary axis.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ..tensor import Tensor
from . import grad_mode
from .engine import grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _differentiable_outputs(outputs) -> list[Tensor]:
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobians(func: Callable, inputs: tuple, targets: list[int], n_out: list[int], eps: float):
    """jac[out][inp]: (numel(out), numel(inp)) by central differences, perturbing inputs in place (a complex input
    along both axes: its column is d/d(real) + i d/d(imag))."""
    jacs = [[np.zeros((n, inputs[i].numel()), np.complex128 if inputs[i].is_complex() else np.float64)
             for i in targets] for n in n_out]
    with grad_mode.no_grad():
        for col, i in enumerate(targets):
            t = inputs[i]
            host = _host(t)  # perturbed in logical (C) order, whatever its strides
            for k, pos in enumerate(np.ndindex(host.shape)):
                orig = host[pos]
                for unit in ((1, 1j) if host.dtype.kind == "c" else (1,)):
                    _set(t, pos, orig + eps * unit)
                    plus = [_host(o).astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
                    _set(t, pos, orig - eps * unit)
                    minus = [_host(o).astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
                    _set(t, pos, orig)
                    for r, (p, m) in enumerate(zip(plus, minus)):
                        jacs[r][col][:, k] += (p - m) / (2 * eps) * unit
    return jacs


def _host(t: Tensor) -> np.ndarray:
    """t's values as a NumPy array (a copy for a CUDA tensor)."""
    return t._data if t.device.type == "cpu" else t.detach().cpu()._data


def _set(t: Tensor, pos: tuple, value) -> None:
    """t[pos] = value in place (on a CUDA tensor, through an indexing op on the device)."""
    if t.device.type == "cpu":
        t._data[pos] = value
    else:
        t[pos] = value.item() if isinstance(value, np.generic) else value


def _float_outputs(outputs) -> list[Tensor]:
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _analytical_jacobians(outputs: list[Tensor], inputs: tuple, targets: list[int]):
    from ..ops.creation import zeros_like

    jacs = []
    for out in outputs:
        rows = [np.zeros((out.numel(), inputs[i].numel()), np.complex128 if inputs[i].is_complex() else np.float64)
                for i in targets]
        for j in range(out.numel()):
            v = zeros_like(out)
            _set(v, tuple(map(int, np.unravel_index(j, v.shape))), 1)
            gs = grad(out, [inputs[i] for i in targets], v, retain_graph=True, allow_unused=True)
            for col, g in enumerate(gs):
                if g is not None:
                    rows[col][j] = _host(g).astype(rows[col].dtype).reshape(-1)
        jacs.append(rows)
    return jacs


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """True when every output's Jacobian w.r.t. every input that requires grad matches finite differences."""
    inputs = _as_tuple(inputs)
    targets = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not targets:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in targets:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=2)
    first = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and (o.dtype.is_floating_point
                                                                                   or o.is_complex())]
    complex_out = [k for k, o in enumerate(first) if o.is_complex()]
    if not complex_out:
        return _check(func, inputs, targets, eps, atol, rtol, raise_exception, "")
    # torch's order: the imaginary parts of the complex outputs, then the real parts
    for part in ("imaginary", "real"):
        if not _check(_output_part(func, part), inputs, targets, eps, atol, rtol, raise_exception, part, complex_out):
            return False
    return True


def _output_part(func: Callable, part: str) -> Callable:
    """func with each complex output replaced by its real or imaginary part (recorded views)."""
    def wrapped(*args):
        outs = func(*args)
        mapped = tuple(getattr(o, "imag" if part == "imaginary" else "real")
                       if isinstance(o, Tensor) and o.is_complex() else o for o in _as_tuple(outs))
        return mapped[0] if isinstance(outs, Tensor) else mapped

    return wrapped


def _check(func: Callable, inputs: tuple, targets: list[int], eps: float, atol: float, rtol: float,
           raise_exception: bool, part: str, complex_out=()) -> bool:
    """One gradcheck of a function whose outputs are real."""
    outputs = _differentiable_outputs(func(*inputs))
    all_out = _float_outputs(func(*inputs))
    analytical = _analytical_jacobians(outputs, inputs, targets)
    numerical = _numerical_jacobians(func, inputs, targets, [o.numel() for o in all_out], eps)
    diff_ids = [k for k, o in enumerate(all_out) if o.requires_grad]
    for r, out_idx in enumerate(diff_ids):
        for col, i in enumerate(targets):
            a, n = analytical[r][col], numerical[out_idx][col]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                prefix = "" if out_idx not in complex_out else f"While considering the {part} part of complex " \
                                                                     "outputs only, "
                raise GradcheckError(f"{prefix}Jacobian mismatch for output {out_idx} with respect to input {i},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
    for k in range(len(all_out)):  # outputs that do not require grad must not depend on the inputs
        if k not in diff_ids and any(np.abs(numerical[k][c]).max(initial=0) > atol for c in range(len(targets))):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for output {k}: it does not require grad but depends on "
                                 "the inputs numerically")
    return True


def gradgradcheck(func: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  **kwargs) -> bool:
    """gradcheck of the backward pass itself (needs create_graph support in every backward formula)."""
    from ..random import randn_like

    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn_like(o, dtype=o.dtype).requires_grad_() for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    def first_derivatives(*args):
        ins, gos = args[:len(inputs)], args[len(inputs):]
        with grad_mode.enable_grad():  # also while gradcheck perturbs inputs under no_grad
            outs = _differentiable_outputs(func(*ins))
            diff = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
            gs = grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
