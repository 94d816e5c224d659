"""torch.nn.utils.rnn: padding variable-length sequences and packing them for the recurrent layers.

A PackedSequence stores the batch time step by time step: data holds, for t = 0, 1, ..., the rows of the sequences
still running at t (the batch sorted by decreasing length), and batch_sizes[t] says how many there are. Packing
and unpacking are one index_select / index_copy each, so gradients flow through them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import dtypes
from ...ops import creation, joins
from ...tensor import Tensor


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's; batch_sizes is an int64 CPU tensor."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if t is None else t.to(data.device) for t in (self.sorted_indices, self.unsorted_indices)]
        return PackedSequence(data, self.batch_sizes, *idx)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _flat_rows(batch_sizes: np.ndarray, batch: int) -> np.ndarray:
    """Row t * batch + b of a time-major (T * batch, ...) view for every packed element, in packed order."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]).astype(np.int64)


def _sizes_from_lengths(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many (sorted) sequences are longer than t."""
    return (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(1).astype(np.int64)


def _invert(perm: Tensor) -> Tensor:
    inv = np.empty(perm.numel(), np.int64)
    inv[perm.cpu().numpy()] = np.arange(perm.numel())
    return creation.tensor(inv, device=perm.device)


def _pack_time_major(padded: Tensor, batch_sizes: np.ndarray, sorted_indices: Tensor | None,
                     unsorted_indices: Tensor | None) -> PackedSequence:
    """Pack (T, B, *) already in the batch's original order."""
    if sorted_indices is not None:
        padded = padded.index_select(1, sorted_indices)
    T, B = padded.shape[:2]
    flat = padded.reshape(T * B, *padded.shape[2:])
    rows = creation.tensor(_flat_rows(batch_sizes, B), device=padded.device)
    return PackedSequence(flat.index_select(0, rows), creation.tensor(batch_sizes), sorted_indices, unsorted_indices)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences with the given lengths."""
    lens = np.asarray(lengths.cpu().numpy() if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(len(lens))
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = creation.tensor(order, device=input.device)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    x = input.transpose(0, 1) if batch_first else input
    if len(lens) != x.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} (batch_size="
                           f"{x.shape[1]})")
    sizes = _sizes_from_lengths(lens[order])
    if len(sizes) > x.shape[0]:
        raise RuntimeError(f"Expected lengths <= {x.shape[0]}: a sequence is longer than the padded input")
    unsorted = _invert(sorted_indices) if sorted_indices is not None else None
    return _pack_time_major(x[:len(sizes)], sizes, sorted_indices, unsorted)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded batch in the original order, int64 lengths)."""
    data, batch_sizes = sequence.data, sequence.batch_sizes.cpu().numpy().astype(np.int64)
    T, B = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {T}")
        T = total_length
    base = creation.full((T * B, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    rows = creation.tensor(_flat_rows(batch_sizes, B), device=data.device)
    padded = base.index_copy(0, rows, data).reshape(T, B, *data.shape[1:])
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)  # per sorted sequence
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu().numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, creation.tensor(lengths, dtype=dtypes.int64)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padded with padding_value."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        gap = longest - s.shape[0]
        if gap:
            pad = creation.full((gap, *s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = joins.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        rows.append(s)
    return joins.stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """pack_padded_sequence(pad_sequence(sequences), lengths)."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(lengths.cpu().numpy())]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: out[permutation[i]] = i (None passes through), by a scatter as torch does."""
    if permutation is None:
        return None
    output = creation.empty_like(permutation)
    output.scatter_(0, permutation, creation.arange(0, permutation.numel(), device=permutation.device))
    return output


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]
