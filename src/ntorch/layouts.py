"""torch.layout and torch.memory_format: the objects users pass as `layout=` and `memory_format=`.

ntorch tensors are all strided (dense, any strides); the sparse layouts exist as names so that code comparing
against them runs, and asking a factory for one raises. Memory formats are stride orders of a dense tensor:
channels_last puts C innermost for 4-d (N, C, H, W), channels_last_3d for 5-d (N, C, D, H, W)."""

from __future__ import annotations


class layout:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ntorch.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickled as the module global of that name


class memory_format:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ntorch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")

contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

# dims from innermost (stride 1) to outermost, per channels-last format and its required rank
_ORDERS = {channels_last: (4, (1, 3, 2, 0)), channels_last_3d: (5, (1, 4, 3, 2, 0))}


def check_factory_args(op: str, layout_arg=None, pin_memory: bool = False) -> None:
    """layout= must be strided (or None); pin_memory is accepted and has no effect (ntorch's pin_memory() is a
    no-op: host memory is ordinary NumPy memory)."""
    if layout_arg is not None and layout_arg is not strided:
        if not isinstance(layout_arg, layout):
            raise TypeError(f"{op}(): argument 'layout' must be ntorch.layout, not {type(layout_arg).__name__}")
        raise RuntimeError(f"{op}: ntorch has no sparse or jagged tensors: layout={layout_arg} is not supported "
                           "(only ntorch.strided)")


def check_memory_format(op: str, fmt) -> None:
    if fmt is not None and not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be ntorch.memory_format, not {type(fmt).__name__}")


def _rank_check(fmt: memory_format, shape: tuple) -> tuple:
    rank, order = _ORDERS[fmt]
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    return order


def format_strides(shape: tuple, fmt: memory_format) -> tuple | None:
    """The element strides of a dense tensor of `shape` in memory format fmt; None for contiguous_format."""
    if fmt is None or fmt is contiguous_format:
        return None
    order = _rank_check(fmt, shape)
    strides = [0] * len(shape)
    step = 1
    for d in order:  # torch's get_channels_last_strides: no max(size, 1) here
        strides[d] = step
        step *= shape[d]
    return tuple(strides)


def is_contiguous_as(shape: tuple, strides: tuple, fmt: memory_format) -> bool:
    """torch's is_contiguous(memory_format=channels_last[_3d]): size-1 dims may have any stride; a tensor of
    the wrong rank is not."""
    rank, order = _ORDERS[fmt]
    if len(shape) != rank:
        return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True
