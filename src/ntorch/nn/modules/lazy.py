"""Lazy modules: parameters whose shape waits for the first input (torch.nn.modules.lazy).

An UninitializedParameter / UninitializedBuffer holds an empty tensor that only carries a dtype and device;
`materialize(shape)` gives it memory and turns it into a plain Parameter / Tensor. A Lazy* module infers the
shapes in a forward pre-hook on its first call, then becomes its ordinary class (LazyLinear -> Linear), as
torch does; load_state_dict into a lazy module materialises from the checkpoint's shapes.
"""

from __future__ import annotations

from ... import dtypes, ops
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter, _share
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    _NormBase,
)

_SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                "`forward` to initialize the parameters before accessing their attributes.")


def _use_error(what: str) -> ValueError:
    return ValueError(f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using "
                      "a `LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
                      "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
                      "calling torch functions")


class UninitializedTensorMixin:
    """What both uninitialised kinds share: no shape until materialize(shape)."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor memory of `shape` (on its device, of its dtype unless told) and its final class."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        _share(self, ops.creation.empty(tuple(shape), device=device, dtype=dtype))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def size(self, dim=None):
        raise RuntimeError(_SHAPE_ERROR)

    def numel(self):
        raise _use_error("numel")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter with no shape yet (a lazy module's weight); becomes a Parameter on materialize."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None) -> UninitializedParameter:
        return Parameter.__new__(cls, ops.creation.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> UninitializedParameter:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad, str(self.device), self.dtype))


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer with no shape yet (a lazy norm's running statistics); becomes a Tensor on materialize."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None) -> UninitializedBuffer:
        return cls._of(ops.creation.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        pass

    @classmethod
    def _of(cls, data: Tensor, requires_grad: bool = False) -> UninitializedBuffer:
        t = object.__new__(cls)
        _share(t, data)
        t._grad = t._grad_fn = None
        t._output_nr = 0
        t._requires_grad = requires_grad
        return t

    def __deepcopy__(self, memo: dict) -> UninitializedBuffer:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad, str(self.device), self.dtype))


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedTensorMixin)


class LazyModuleMixin:
    """Infers parameter shapes on the first forward (initialize_parameters), then becomes cls_to_become."""

    cls_to_become: type | None = None

    def _register_lazy_hook(self) -> None:
        """Called at the end of each lazy __init__: the first forward infers the shapes."""
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        with no_grad():
            module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Uninitialised tensors go into the state_dict as they are (torch's lazy state_dict)."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """An uninitialised tensor takes the shape of the initialised one being loaded into it."""
        for name, param in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param) and not is_lazy(state_dict[key]):
                with no_grad():
                    param.materialize(state_dict[key].shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _apply(self, fn, recurse: bool = True):
        """.to()/.cuda()/.double() move an uninitialised buffer's device and dtype and keep it uninitialised."""
        lazy = [k for k, b in self._buffers.items() if is_lazy(b)]
        super()._apply(fn, recurse)
        for k in lazy:
            if not is_lazy(self._buffers[k]):
                self._buffers[k] = UninitializedBuffer._of(self._buffers[k], self._buffers[k].requires_grad)
        return self


# -- Linear --------------------------------------------------------------------------------------------------
class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the last dim of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._register_lazy_hook()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1] if input.ndim else ()[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


# -- convolutions --------------------------------------------------------------------------------------------
class _LazyConvXdMixin(LazyModuleMixin):
    _spatial = 0

    def _lazy_init(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._register_lazy_hook()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        unbatched = self._spatial + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(name: str, base: type, spatial: int) -> type:
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_init(out_channels, bias, device, dtype)

    return type(name, (_LazyConvXdMixin, base), {"__init__": __init__, "cls_to_become": base, "_spatial": spatial,
                                                 "__doc__": f"{base.__name__} whose in_channels come from the "
                                                            f"first input.", "__module__": __name__})


def _lazy_conv_transpose(name: str, base: type, spatial: int) -> type:
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._lazy_init(out_channels, bias, device, dtype)

    return type(name, (_LazyConvXdMixin, base), {"__init__": __init__, "cls_to_become": base, "_spatial": spatial,
                                                 "__doc__": f"{base.__name__} whose in_channels come from the "
                                                            f"first input.", "__module__": __name__})


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d, 1)
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d, 2)
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d, 3)
LazyConvTranspose1d = _lazy_conv_transpose("LazyConvTranspose1d", ConvTranspose1d, 1)
LazyConvTranspose2d = _lazy_conv_transpose("LazyConvTranspose2d", ConvTranspose2d, 2)
LazyConvTranspose3d = _lazy_conv_transpose("LazyConvTranspose3d", ConvTranspose3d, 3)


# -- batch and instance norm ---------------------------------------------------------------------------------
class _LazyNormBase(LazyModuleMixin, _NormBase):
    """num_features comes from dim 1 of the first input (dim 0 of an unbatched instance-norm input)."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        _NormBase.__init__(self, 0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = ops.creation.tensor(0, dtype=dtypes.int64, device=device)
        self._register_lazy_hook()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]  # dim 1 even for unbatched instance norm, as torch
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(name: str, lazy_base: type, base: type) -> type:
    return type(name, (lazy_base, base), {"cls_to_become": base, "_dims": base._dims, "__module__": __name__,
                                          "__doc__": f"{base.__name__} whose num_features comes from the first input."})


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", _LazyNormBase, BatchNorm1d)
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", _LazyNormBase, BatchNorm2d)
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", _LazyNormBase, BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm("LazyInstanceNorm1d", _LazyNormBase, InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm("LazyInstanceNorm2d", _LazyNormBase, InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm("LazyInstanceNorm3d", _LazyNormBase, InstanceNorm3d)
