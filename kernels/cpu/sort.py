"""CPU sorting and selection kernels.

Everything sorts *keys*: unsigned integers (uint32 or uint64) whose unsigned order is the wanted order of the
values. ``float_keys_*`` map IEEE bits to such keys (negative numbers bit-flipped, positive ones with the sign
bit set; -0.0 folded onto 0.0 and every NaN onto one key above +inf, so NaN sorts last and equal values tie);
``int_keys`` maps (widened) integers by subtracting the dtype's minimum. A descending sort flips every key bit,
which reverses the order but keeps equal keys equal, so stability is kept in both directions.

``sort_rows`` sorts each row of a C-contiguous (rows, n) key array in place and writes the permutation: an LSD
radix sort on 8-bit digits, stable by construction, which reads all digit histograms in one pass and skips
passes whose digit is the same for every key (so small integers in wide keys cost one or two passes). 32-bit
keys travel packed with their position in one uint64 (one 8-byte move per element and pass); 64-bit keys and
positions move as two arrays. Rows of at most ``_SMALL`` elements use insertion sort. Scratch arrays are
allocated by NumPy in Python (``scratch``), not inside the kernels (NumPy gets huge pages).

``topk_rows`` selects the k smallest keys of each row and sorts them: for k <= 16 in one
pass with a sorted buffer, otherwise by radix selection (a histogram of the top 11 bits, a pass keeping the
keys below the k-th key's bucket and that bucket's candidates, repeated on the candidates with the next 11
bits while many remain, then a sort of the few left). ``kth`` and ``median`` select one position the same way
without collecting. Sorts and top-k of many rows run in row chunks across threads (batch.run_split) when numba
has more than one thread and the work is large enough.

Equal keys: the radix sort and the selections keep index order; where PyTorch's CPU selections order equal
values otherwise (std::nth_element / partial_sort / sort for topk, ATen's quickselect for kthvalue, std::sort
with plain < for mode), the rows holding such ties are redone by transcriptions of those algorithms
(``_std_sort``, ``_nth_element``, ``_partial_sort``, ``_aten_kth_row``, ``mode_rows``).
"""

import numba
import numpy as np
from numba import njit, types
from numba.extending import overload

from .batch import run_split

_SMALL = 16
PAR_MIN = 1 << 17  # elements: below this, one thread


# ------------------------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def float_keys_32(bits, out, descending):
    """float32 bits (uint32 view) -> order-preserving uint32 keys."""
    flip = np.uint32(0xFFFFFFFF) if descending else np.uint32(0)
    for i in range(bits.size):
        b = bits[i]
        a = b & np.uint32(0x7FFFFFFF)
        if a == 0:
            b = np.uint32(0)
        elif a > np.uint32(0x7F800000):
            b = np.uint32(0x7FC00000)
        if b & np.uint32(0x80000000):
            k = ~b
        else:
            k = b | np.uint32(0x80000000)
        out[i] = k ^ flip


@njit(cache=True, error_model="numpy")
def float_keys_64(bits, out, descending):
    """float64 bits (uint64 view) -> order-preserving uint64 keys."""
    flip = np.uint64(0xFFFFFFFFFFFFFFFF) if descending else np.uint64(0)
    sign = np.uint64(0x8000000000000000)
    for i in range(bits.size):
        b = bits[i]
        a = b & np.uint64(0x7FFFFFFFFFFFFFFF)
        if a == 0:
            b = np.uint64(0)
        elif a > np.uint64(0x7FF0000000000000):
            b = np.uint64(0x7FF8000000000000)
        if b & sign:
            k = ~b
        else:
            k = b | sign
        out[i] = k ^ flip


def nan_key(width: int, descending: bool) -> int:
    """The key every NaN maps to (Python int)."""
    k = (0x7FC00000 | 0x80000000) if width == 32 else (0x7FF8000000000000 | 0x8000000000000000)
    return k ^ ((1 << width) - 1) if descending else k


@njit(cache=True, error_model="numpy")
def int_keys(x, lo, descending, out):
    """int64 values -> unsigned keys x - lo (out is uint32 or uint64; lo is the dtype's minimum)."""
    for i in range(x.size):
        k = np.uint64(x[i] - lo)
        out[i] = ~k if descending else k


@njit(cache=True, error_model="numpy")
def float_values_32(skeys, perm, bits, descending, out):
    """Sorted uint32 keys back to float32 bits; ±0 and NaN (folded by the keys) are read from the source."""
    rows, n = skeys.shape
    flip = np.uint32(0xFFFFFFFF) if descending else np.uint32(0)
    for r in range(rows):
        for i in range(n):
            k = skeys[r, i] ^ flip
            b = k & np.uint32(0x7FFFFFFF) if k & np.uint32(0x80000000) else ~k
            a = b & np.uint32(0x7FFFFFFF)
            if a == 0 or a > np.uint32(0x7F800000):
                b = bits[r, perm[r, i]]
            out[r, i] = b


@njit(cache=True, error_model="numpy")
def float_values_64(skeys, perm, bits, descending, out):
    rows, n = skeys.shape
    flip = np.uint64(0xFFFFFFFFFFFFFFFF) if descending else np.uint64(0)
    sign = np.uint64(0x8000000000000000)
    for r in range(rows):
        for i in range(n):
            k = skeys[r, i] ^ flip
            b = k & np.uint64(0x7FFFFFFFFFFFFFFF) if k & sign else ~k
            a = b & np.uint64(0x7FFFFFFFFFFFFFFF)
            if a == 0 or a > np.uint64(0x7FF0000000000000):
                b = bits[r, perm[r, i]]
            out[r, i] = b


@njit(cache=True, error_model="numpy")
def int_values(skeys, lo, descending, out):
    """Sorted keys back to int64 values (the inverse of int_keys)."""
    for i in range(skeys.size):
        k = np.uint64(skeys[i])
        if descending:
            k = ~k if skeys.itemsize == 8 else k ^ np.uint64(0xFFFFFFFF)
        out[i] = np.int64(k) + lo


# ------------------------------------------------------------------------------------------------------------
# sorting one row: LSD radix on 8-bit digits
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _insertion(keys, idx, n, have_idx):
    if not have_idx:
        for i in range(n):
            idx[i] = i
    for i in range(1, n):
        k = keys[i]
        v = idx[i]
        j = i - 1
        while j >= 0 and keys[j] > k:
            keys[j + 1] = keys[j]
            idx[j + 1] = idx[j]
            j -= 1
        keys[j + 1] = k
        idx[j + 1] = v


@njit(cache=True, error_model="numpy")
def _histograms(src, n, counts):
    """counts[p, d]: how many of src[:n] have digit d at bit 8p. counts has 2*width/8 rows: two elements are
    counted per step into separate halves (repeated digits would otherwise serialise the increments)."""
    npass = counts.shape[0] // 2
    counts[:, :] = 0
    half = n // 2
    for i in range(half):
        k0 = np.uint64(src[2 * i])
        k1 = np.uint64(src[2 * i + 1])
        for p in range(npass):
            sh = np.uint64(8 * p)
            counts[p, np.int64((k0 >> sh) & np.uint64(255))] += 1
            counts[npass + p, np.int64((k1 >> sh) & np.uint64(255))] += 1
    if n % 2:
        k0 = np.uint64(src[n - 1])
        for p in range(npass):
            counts[p, np.int64((k0 >> np.uint64(8 * p)) & np.uint64(255))] += 1
    for p in range(npass):
        for b in range(256):
            counts[p, b] += counts[npass + p, b]


@njit(cache=True, error_model="numpy")
def _offsets(c, n, first_digit):
    """Exclusive prefix sums of one digit histogram; False when every key has the same digit (skip the pass)."""
    if c[first_digit] == n:
        return False
    total = 0
    for b in range(256):
        t = c[b]
        c[b] = total
        total += t
    return True


@njit(cache=True, error_model="numpy")
def _pass_packed(src, dst, c, shift, n):
    sh = np.uint64(shift)
    for i in range(n):
        k = src[i]
        b = np.int64((k >> sh) & np.uint64(255))
        pos = c[b]
        c[b] = pos + 1
        dst[pos] = k


@njit(cache=True, error_model="numpy")
def _pass_kv(src_k, src_i, dst_k, dst_i, c, shift, n):
    sh = np.uint64(shift)
    for i in range(n):
        k = src_k[i]
        b = np.int64((np.uint64(k) >> sh) & np.uint64(255))
        pos = c[b]
        c[b] = pos + 1
        dst_k[pos] = k
        dst_i[pos] = src_i[i]


@njit(cache=True, error_model="numpy")
def _sort_kv(keys, idx, n, have_idx, s):
    """Stable sort of keys[:n] carrying idx[:n] (0..n-1 when not have_idx).

    s = (tk, ti, p1, p2, counts), one copy of what scratch() makes."""
    tk, ti, p1, p2, counts = s
    if n <= _SMALL:
        _insertion(keys, idx, n, have_idx)
        return
    if keys.itemsize == 4:  # pack key << 32 | index into one uint64: one 8-byte move per element and pass
        for i in range(n):
            p1[i] = (np.uint64(keys[i]) << np.uint64(32)) | np.uint64(idx[i] if have_idx else i)
        _histograms(keys, n, counts)
        src, dst = p1, p2
        for p in range(4):
            c = counts[p]
            if _offsets(c, n, np.int64((src[0] >> np.uint64(32 + 8 * p)) & np.uint64(255))):
                _pass_packed(src, dst, c, 32 + 8 * p, n)
                src, dst = dst, src
        for i in range(n):
            v = src[i]
            keys[i] = np.uint32(v >> np.uint64(32))
            idx[i] = np.uint32(v & np.uint64(0xFFFFFFFF))
        return
    if not have_idx:
        for i in range(n):
            idx[i] = i
    _histograms(keys, n, counts)
    swapped = False
    for p in range(8):
        c = counts[p]
        if not swapped:
            if _offsets(c, n, np.int64((np.uint64(keys[0]) >> np.uint64(8 * p)) & np.uint64(255))):
                _pass_kv(keys, idx, tk, ti, c, 8 * p, n)
                swapped = True
        else:
            if _offsets(c, n, np.int64((np.uint64(tk[0]) >> np.uint64(8 * p)) & np.uint64(255))):
                _pass_kv(tk, ti, keys, idx, c, 8 * p, n)
                swapped = False
    if swapped:
        for i in range(n):
            keys[i] = tk[i]
            idx[i] = ti[i]


def scratch(keys: np.ndarray, n: int, copies: int = 1) -> tuple:
    """Scratch arrays (allocated by NumPy: it gets huge pages) for `copies` threads sorting up to n keys."""
    wide = keys.itemsize == 8
    return (np.empty((copies, n if wide else 0), keys.dtype), np.empty((copies, n if wide else 0), np.int64),
            np.empty((copies, 0 if wide else n), np.uint64), np.empty((copies, 0 if wide else n), np.uint64),
            np.empty((copies, 2 * keys.itemsize, 256), np.int64))


@njit(cache=True, error_model="numpy")
def _insertion_rows(keys, perm, r0, r1):
    """Insertion sort of short rows, indexing the 2-D arrays directly (a row view per row costs more than
    sorting a handful of keys)."""
    n = keys.shape[1]
    for r in range(r0, r1):
        for i in range(n):
            k = keys[r, i]
            j = i
            while j > 0 and keys[r, j - 1] > k:
                keys[r, j] = keys[r, j - 1]
                perm[r, j] = perm[r, j - 1]
                j -= 1
            keys[r, j] = k
            perm[r, j] = i


@njit(cache=True, error_model="numpy")
def _sort_rows_range(keys, perm, r0, r1, s):
    n = keys.shape[1]
    if n <= _SMALL:
        _insertion_rows(keys, perm, r0, r1)
        return
    for r in range(r0, r1):
        _sort_kv(keys[r], perm[r], n, False, s)


@njit(cache=True, error_model="numpy", nogil=True)
def sort_rows_s(keys, perm, tk, ti, p1, p2, counts, t0, t1):
    """Sort each row of keys (rows, n) in place; perm (rows, n) int64 gets the source positions. The rows come in
    counts.shape[0] equal chunks, chunk t sorted with scratch row t: this call does chunks [t0, t1) (threads
    take one chunk each, batch.run_split)."""
    rows = keys.shape[0]
    nt = counts.shape[0]
    chunk = (rows + nt - 1) // nt
    for t in range(t0, t1):
        r0 = t * chunk
        r1 = min(rows, r0 + chunk)
        if r0 < r1:
            _sort_rows_range(keys, perm, r0, r1, (tk[t], ti[t], p1[t], p2[t], counts[t]))


def _parallel(keys: np.ndarray) -> int:
    """How many threads to use on these rows (1: the serial kernel)."""
    if keys.shape[0] > 1 and keys.size >= PAR_MIN:
        return min(numba.get_num_threads(), keys.shape[0])
    return 1


def _check_row_length(keys: np.ndarray) -> None:
    if keys.shape[1] >= 1 << 32:  # the packed sort keeps positions in 32 bits
        raise ValueError(f"sort: rows of {keys.shape[1]} elements are too long (at most 2**32 - 1)")


SMALL_ROWS = 1 << 12  # elements up to which the serial kernels make their scratch themselves


@njit(cache=True, error_model="numpy")
def _scratch_in(keys):
    """One thread's row of scratch(keys, n), made inside a kernel: for small inputs, five NumPy allocations in
    Python cost more than the work."""
    n = keys.shape[1]
    wide = keys.itemsize == 8
    return (np.empty(n if wide else 0, keys.dtype), np.empty(n if wide else 0, np.int64),
            np.empty(0 if wide else n, np.uint64), np.empty(0 if wide else n, np.uint64),
            np.empty((2 * keys.itemsize, 256), np.int64))


@njit(cache=True, error_model="numpy")
def sort_rows_small(keys, perm):
    """sort_rows_s with its scratch made here (small inputs)."""
    _sort_rows_range(keys, perm, 0, keys.shape[0], _scratch_in(keys))


def sort_rows(keys: np.ndarray, perm: np.ndarray) -> None:
    """Sort each row of keys (rows, n) in place; perm (rows, n) int64 gets the source positions."""
    _check_row_length(keys)
    nt = _parallel(keys)
    if nt > 1:
        run_split(sort_rows_s, nt, True, keys, perm, *scratch(keys, keys.shape[1], nt))
    elif keys.size <= SMALL_ROWS:
        if keys.size:
            sort_rows_small(keys, perm)
    else:
        sort_rows_s(keys, perm, *scratch(keys, keys.shape[1]), 0, 1)


# ------------------------------------------------------------------------------------------------------------
# PyTorch's CPU selection, step for step, for rows with ties. ATen's topk runs std::partial_sort (k * 64 <= n)
# or std::nth_element then std::sort of the first k - 1 on (value, index) pairs compared by value only, and
# kthvalue its own quickselect (quick_select_template): which of equal values wins depends on those algorithms'
# exact steps, so they are libstdc++'s and ATen's, transcribed. The comparison is keys[a] < keys[b] (topk) or
# keys[a] > keys[b] (quickselect), which on our keys is ATen's NaN-aware comparator.
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _swap(qk, qi, a, b):
    tk = qk[a]
    qk[a] = qk[b]
    qk[b] = tk
    ti = qi[a]
    qi[a] = qi[b]
    qi[b] = ti


@njit(cache=True, error_model="numpy")
def _linear_insert(qk, qi, last):
    """libstdc++ __unguarded_linear_insert."""
    vk = qk[last]
    vi = qi[last]
    nxt = last - 1
    while nxt >= 0 and vk < qk[nxt]:  # nxt >= 0: never needed by an order, only by NaN under plain <
        qk[last] = qk[nxt]
        qi[last] = qi[nxt]
        last = nxt
        nxt -= 1
    qk[last] = vk
    qi[last] = vi


@njit(cache=True, error_model="numpy")
def _insertion_sort(qk, qi, f, lst):
    """libstdc++ __insertion_sort of [f, lst)."""
    if f == lst:
        return
    for i in range(f + 1, lst):
        if qk[i] < qk[f]:
            vk = qk[i]
            vi = qi[i]
            for j in range(i, f, -1):
                qk[j] = qk[j - 1]
                qi[j] = qi[j - 1]
            qk[f] = vk
            qi[f] = vi
        else:
            _linear_insert(qk, qi, i)


@njit(cache=True, error_model="numpy")
def _partition_pivot(qk, qi, f, lst):
    """libstdc++ __unguarded_partition_pivot: median of (f + 1, mid, lst - 1) moved to f, then partition."""
    a = f + 1
    b = f + (lst - f) // 2
    c = lst - 1
    if qk[a] < qk[b]:
        if qk[b] < qk[c]:
            s = b
        elif qk[a] < qk[c]:
            s = c
        else:
            s = a
    elif qk[a] < qk[c]:
        s = a
    elif qk[b] < qk[c]:
        s = c
    else:
        s = b
    _swap(qk, qi, f, s)
    lo = f + 1
    hi = lst
    while True:
        while lo < lst - 1 and qk[lo] < qk[f]:  # bounds: only NaN under plain < could need them
            lo += 1
        hi -= 1
        while hi > f and qk[f] < qk[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(qk, qi, lo, hi)
        lo += 1


@njit(cache=True, error_model="numpy")
def _adjust_heap(qk, qi, f, hole, n, vk, vi):
    """libstdc++ __adjust_heap (then __push_heap) on the heap qk[f:f + n]."""
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if qk[f + child] < qk[f + child - 1]:
            child -= 1
        qk[f + hole] = qk[f + child]
        qi[f + hole] = qi[f + child]
        hole = child
    if (n & 1) == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        qk[f + hole] = qk[f + child - 1]
        qi[f + hole] = qi[f + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and qk[f + parent] < vk:
        qk[f + hole] = qk[f + parent]
        qi[f + hole] = qi[f + parent]
        hole = parent
        parent = (hole - 1) // 2
    qk[f + hole] = vk
    qi[f + hole] = vi


@njit(cache=True, error_model="numpy")
def _pop_heap(qk, qi, f, lst, res):
    vk = qk[res]
    vi = qi[res]
    qk[res] = qk[f]
    qi[res] = qi[f]
    _adjust_heap(qk, qi, f, 0, lst - f, vk, vi)


@njit(cache=True, error_model="numpy")
def _heap_select(qk, qi, f, mid, lst):
    """libstdc++ __heap_select: __make_heap of [f, mid), then each smaller later element pops the top."""
    n = mid - f
    if n >= 2:
        p = (n - 2) // 2
        while True:
            _adjust_heap(qk, qi, f, p, n, qk[f + p], qi[f + p])
            if p == 0:
                break
            p -= 1
    for i in range(mid, lst):
        if qk[i] < qk[f]:
            _pop_heap(qk, qi, f, mid, i)


@njit(cache=True, error_model="numpy")
def _partial_sort(qk, qi, f, mid, lst):
    """libstdc++ __partial_sort: __heap_select then __sort_heap."""
    _heap_select(qk, qi, f, mid, lst)
    while mid - f > 1:
        mid -= 1
        _pop_heap(qk, qi, f, mid, mid)


@njit(cache=True, error_model="numpy")
def _log2(n):
    r = 0
    while n > 1:
        n >>= 1
        r += 1
    return r


@njit(cache=True, error_model="numpy")
def _nth_element(qk, qi, f, nth, lst):
    """libstdc++ __introselect."""
    if f == lst or nth == lst:
        return
    depth = 2 * _log2(lst - f)
    while lst - f > 3:
        if depth == 0:
            _heap_select(qk, qi, f, nth + 1, lst)
            _swap(qk, qi, f, nth)
            return
        depth -= 1
        cut = _partition_pivot(qk, qi, f, lst)
        if cut <= nth:
            f = cut
        else:
            lst = cut
    _insertion_sort(qk, qi, f, lst)


@njit(cache=True, error_model="numpy")
def _std_sort(qk, qi, f, lst):
    """libstdc++ std::sort: __introsort_loop (its recursion on the right part as a stack: the parts are
    disjoint, so the order they are done in changes nothing), then __final_insertion_sort."""
    if f == lst:
        return
    depth0 = 2 * _log2(lst - f)
    cap = (depth0 + 2) * (depth0 + 2)
    sf = np.empty(cap, np.int64)
    sl = np.empty(cap, np.int64)
    sd = np.empty(cap, np.int64)
    sf[0], sl[0], sd[0] = f, lst, depth0
    top = 1
    while top:
        top -= 1
        a, b, depth = sf[top], sl[top], sd[top]
        while b - a > 16:
            if depth == 0:
                _partial_sort(qk, qi, a, b, b)
                break
            depth -= 1
            cut = _partition_pivot(qk, qi, a, b)
            sf[top], sl[top], sd[top] = cut, b, depth
            top += 1
            b = cut
    if lst - f > 16:
        _insertion_sort(qk, qi, f, f + 16)
        for i in range(f + 16, lst):
            _linear_insert(qk, qi, i)
    else:
        _insertion_sort(qk, qi, f, lst)


@njit(cache=True, error_model="numpy")
def _aten_topk_row(keys, k, sort_k, out_keys, out_idx, qk, qi):
    """ATen's topk_impl_loop on one row of keys (the k smallest; sort_k: its `sorted`)."""
    n = keys.size
    for j in range(n):
        qk[j] = keys[j]
        qi[j] = j
    if k * 64 <= n:
        _partial_sort(qk, qi, 0, k, n)
    else:
        _nth_element(qk, qi, 0, k - 1, n)
        if sort_k:
            _std_sort(qk, qi, 0, k - 1)
    for j in range(k):
        out_keys[j] = qk[j]
        out_idx[j] = qi[j]


@njit(cache=True, error_model="numpy")
def _aten_kth_row(keys, k, qk, qi):
    """ATen's quick_select_template: source position of the k-th smallest (1-based)."""
    n = keys.size
    for j in range(n):
        qk[j] = keys[j]
        qi[j] = j
    kk = k - 1
    lo = 0
    hi = n - 1
    while True:
        if hi <= lo:
            break
        if hi == lo + 1:
            if qk[lo] > qk[hi]:
                _swap(qk, qi, lo, hi)
            break
        _swap(qk, qi, lo + (hi - lo) // 2, lo + 1)
        if qk[lo + 1] > qk[hi]:
            _swap(qk, qi, lo + 1, hi)
        if qk[lo] > qk[hi]:
            _swap(qk, qi, lo, hi)
        if qk[lo + 1] > qk[lo]:
            _swap(qk, qi, lo + 1, lo)
        i = lo + 1
        j = hi
        piv = qk[lo]
        while True:
            i += 1
            while piv > qk[i]:
                i += 1
            j -= 1
            while qk[j] > piv:
                j -= 1
            if j < i:
                break
            _swap(qk, qi, i, j)
        _swap(qk, qi, lo, j)
        if j <= kk:
            lo = i
        if j >= kk:
            hi = j - 1
    return qi[kk]


@njit(cache=True, error_model="numpy")
def _nan_keys(keys, nan_k):
    """(how many keys are the NaN key, the position of the first; -1 when none) of a 1-d key array."""
    nnan = 0
    first = -1
    for i in range(keys.size):
        if keys[i] == nan_k:
            if first < 0:
                first = i
            nnan += 1
    return nnan, first


@njit(cache=True, error_model="numpy")
def _count_equal(keys, key):
    c = 0
    for i in range(keys.size):
        if keys[i] == key:
            c += 1
    return c


# ------------------------------------------------------------------------------------------------------------
# selection: top-k (the k smallest keys of each row, sorted, ties by index), k-th smallest, median
# ------------------------------------------------------------------------------------------------------------
_BUFFER_K = 16  # k up to this: one pass keeping a sorted buffer of the k best


@njit(cache=True, error_model="numpy")
def _smallest_buffered(keys, k, out_keys, out_idx):
    """The k smallest keys in one pass, kept sorted by insertion (an equal key never displaces an earlier one)."""
    m = 0
    for i in range(keys.size):
        kk = keys[i]
        if m == k:
            if kk >= out_keys[k - 1]:
                continue
            j = k - 1
        else:
            j = m
            m += 1
        while j > 0 and out_keys[j - 1] > kk:
            out_keys[j] = out_keys[j - 1]
            out_idx[j] = out_idx[j - 1]
            j -= 1
        out_keys[j] = kk
        out_idx[j] = i


@njit(cache=True, error_model="numpy")
def _bucket_of(hist, k):
    """(the 11-bit digit holding the k-th smallest (1-based), how many keys have a smaller digit)."""
    below = 0
    b = 0
    while below + hist[b] < k:
        below += hist[b]
        b += 1
    return b, below


@njit(cache=True, error_model="numpy")
def _narrow(keys, k, ck, ci, out_keys, out_idx, collect):
    """Radix selection of the k smallest keys (1 <= k <= n), 11 bits at a time from the top.

    Returns (nbelow, ncand): nbelow keys are certainly among the k smallest (written, in index order within
    each digit level, to out_keys/out_idx when collect) and the other k - nbelow are the smallest of the ncand
    candidates left in ck/ci (in index order; all equal when the digits ran out)."""
    n = keys.size
    shift = keys.itemsize * 8 - 11
    hist = np.zeros(2048, np.int64)
    sh = np.uint64(shift)
    for i in range(n):
        hist[np.int64(np.uint64(keys[i]) >> sh)] += 1
    b, _ = _bucket_of(hist, k)
    nbelow = 0
    ncand = 0
    for i in range(n):
        kk = keys[i]
        d = np.int64(np.uint64(kk) >> sh)
        if d < b:
            if collect:
                out_keys[nbelow] = kk
                out_idx[nbelow] = i
            nbelow += 1
        elif d == b:
            ck[ncand] = kk
            ci[ncand] = i
            ncand += 1
    while ncand > 64 and shift > 0:
        shift = max(shift - 11, 0)
        sh = np.uint64(shift)
        hist[:] = 0
        for j in range(ncand):
            hist[np.int64((np.uint64(ck[j]) >> sh) & np.uint64(2047))] += 1
        b, _ = _bucket_of(hist, k - nbelow)
        m = 0
        for j in range(ncand):
            kk = ck[j]
            d = np.int64((np.uint64(kk) >> sh) & np.uint64(2047))
            if d < b:
                if collect:
                    out_keys[nbelow] = kk
                    out_idx[nbelow] = ci[j]
                nbelow += 1
            elif d == b:
                ck[m] = kk
                ci[m] = ci[j]
                m += 1
        ncand = m
    return nbelow, ncand


@njit(cache=True, error_model="numpy")
def _topk_row(keys, k, out_keys, out_idx, ck, ci, s):
    """k smallest of keys (1-D) into out_keys/out_idx (length k), ascending; ck/ci scratch of len(keys)."""
    n = keys.size
    if k == 0:
        return
    if k <= _BUFFER_K:
        _smallest_buffered(keys, k, out_keys, out_idx)
        return
    if k * 4 > n or n < 256:  # a large share of the row (or a short row): sort it all
        for i in range(n):
            ck[i] = keys[i]
        _sort_kv(ck, ci, n, False, s)
        for i in range(k):
            out_keys[i] = ck[i]
            out_idx[i] = ci[i]
        return
    nbelow, ncand = _narrow(keys, k, ck, ci, out_keys, out_idx, True)
    _sort_kv(ck, ci, ncand, True, s)
    for j in range(k - nbelow):
        out_keys[nbelow + j] = ck[j]
        out_idx[nbelow + j] = ci[j]
    _sort_kv(out_keys, out_idx, k, True, s)  # equal keys were collected in index order: ties stay so


@njit(cache=True, error_model="numpy")
def _kth_row(keys, k, ck, ci, s):
    """Source position of the k-th smallest key (1-based; ties in index order)."""
    n = keys.size
    if k <= _BUFFER_K:
        _smallest_buffered(keys, k, ck, ci)
        return ci[k - 1]
    if n < 256:
        for i in range(n):
            ck[i] = keys[i]
        _sort_kv(ck, ci, n, False, s)
        return ci[k - 1]
    nbelow, ncand = _narrow(keys, k, ck, ci, ck, ci, False)
    _sort_kv(ck, ci, ncand, True, s)
    return ci[k - 1 - nbelow]


@njit(cache=True, error_model="numpy")
def _buffered_rows(keys, k, out_keys, out_idx, r0, r1):
    """_smallest_buffered for each row, indexing the 2-D arrays directly (for many short rows)."""
    for r in range(r0, r1):
        m = 0
        for i in range(keys.shape[1]):
            kk = keys[r, i]
            if m == k:
                if kk >= out_keys[r, k - 1]:
                    continue
                j = k - 1
            else:
                j = m
                m += 1
            while j > 0 and out_keys[r, j - 1] > kk:
                out_keys[r, j] = out_keys[r, j - 1]
                out_idx[r, j] = out_idx[r, j - 1]
                j -= 1
            out_keys[r, j] = kk
            out_idx[r, j] = i


@njit(cache=True, error_model="numpy")
def _topk_has_ties(keys, r, k, out_keys):
    """Whether row r's k smallest (sorted in out_keys[r]) hold equal keys or the k-th's key also lies outside
    them: only then do ATen's steps choose among equal values (2-D indexing: no row views for short rows)."""
    for j in range(k - 1):
        if out_keys[r, j] == out_keys[r, j + 1]:
            return True
    last = out_keys[r, k - 1]
    c = 0
    for i in range(keys.shape[1]):
        if keys[r, i] <= last:
            c += 1
    return c > k


@njit(cache=True, error_model="numpy")
def _topk_range(keys, k, sort_k, out_keys, perm, r0, r1, ck, ci, s):
    """Rows r0..r1: the fast selection, redone by ATen's steps where equal values make a choice (or where the
    k results stay unsorted, in ATen's order)."""
    fast = sort_k or k * 64 <= keys.shape[1]
    if fast:
        if k <= _BUFFER_K:
            _buffered_rows(keys, k, out_keys, perm, r0, r1)
        else:
            for r in range(r0, r1):
                _topk_row(keys[r], k, out_keys[r], perm[r], ck, ci, s)
    for r in range(r0, r1):
        if not fast or _topk_has_ties(keys, r, k, out_keys):
            _aten_topk_row(keys[r], k, sort_k, out_keys[r], perm[r], ck, ci)


@njit(cache=True, error_model="numpy", nogil=True)
def topk_rows_s(keys, k, sort_k, out_keys, perm, ck, ci, tk, ti, p1, p2, counts, t0, t1):
    """The k smallest keys of each row of keys (rows, n) into out_keys (rows, k), their positions into perm: row
    chunks [t0, t1) of counts.shape[0], as sort_rows_s."""
    rows = keys.shape[0]
    nt = counts.shape[0]
    chunk = (rows + nt - 1) // nt
    for t in range(t0, t1):
        r0 = t * chunk
        r1 = min(rows, r0 + chunk)
        if r0 < r1:
            _topk_range(keys, k, sort_k, out_keys, perm, r0, r1, ck[t], ci[t],
                        (tk[t], ti[t], p1[t], p2[t], counts[t]))


def _selection_scratch(keys: np.ndarray, nt: int) -> tuple:
    _check_row_length(keys)
    n = keys.shape[1]
    return (np.empty((nt, n), keys.dtype), np.empty((nt, n), np.int64), *scratch(keys, n, nt))


@njit(cache=True, error_model="numpy")
def topk_rows_small(keys, k, sort_k, out_keys, perm):
    """topk_rows_s with its scratch made here (small inputs)."""
    n = keys.shape[1]
    _topk_range(keys, k, sort_k, out_keys, perm, 0, keys.shape[0], np.empty(n, keys.dtype), np.empty(n, np.int64),
                _scratch_in(keys))


def topk_rows(keys: np.ndarray, k: int, out_keys: np.ndarray, perm: np.ndarray, sort_k: bool = True) -> None:
    """The k smallest keys of each row and their positions, equal keys placed as PyTorch's CPU topk places
    them (ascending unless not sort_k and 64 * k > n: then in std::nth_element's order)."""
    if keys.size == 0 or k == 0:
        return
    if keys.size <= SMALL_ROWS:
        _check_row_length(keys)
        topk_rows_small(keys, k, bool(sort_k), out_keys, perm)
        return
    nt = _parallel(keys)
    run_split(topk_rows_s, nt, nt > 1, keys, k, bool(sort_k), out_keys, perm, *_selection_scratch(keys, nt))


@njit(cache=True, error_model="numpy")
def kth_rows(keys, k, out_idx, ck, ci, tk, ti, p1, p2, counts):
    """out_idx[r]: the source position of the k-th smallest key (1-based) of row r; when that key occurs more
    than once, the one ATen's quickselect picks."""
    s = (tk[0], ti[0], p1[0], p2[0], counts[0])
    for r in range(keys.shape[0]):
        row = keys[r]
        p = _kth_row(row, k, ck[0], ci[0], s)
        if _count_equal(row, row[p]) > 1:
            p = _aten_kth_row(row, k, ck[0], ci[0])
        out_idx[r] = p


@njit(cache=True, error_model="numpy")
def median_rows(keys, nan_k, check_nan, ignore_nan, out_idx, ck, ci, tk, ti, p1, p2, counts):
    """out_idx[r]: the source position of row r's lower median: of the first NaN when the row has one (median),
    of the lower median of the non-NaN keys (nanmedian; of all keys when all are NaN)."""
    s = (tk[0], ti[0], p1[0], p2[0], counts[0])
    n = keys.shape[1]
    for r in range(keys.shape[0]):
        row = keys[r]
        nnan, first = _nan_keys(row, nan_k) if check_nan else (0, -1)
        if nnan and not ignore_nan:
            out_idx[r] = first
            continue
        m = n - nnan
        k = (n - 1) // 2 + 1 if m == 0 else (m - 1) // 2 + 1
        out_idx[r] = _kth_row(row, k, ck[0], ci[0], s)


@njit(cache=True, error_model="numpy")
def median_flat_k(keys, nan_k, check_nan, ignore_nan, qk, qi, s):
    """ATen's median()/nanmedian() of all elements: the first NaN's position (median with a NaN), else the
    position std::nth_element leaves at (m - 1) / 2 (m: the non-NaN count, C's division) of the keys. A median
    key held by one element only is found by the radix selection (no other element could be returned)."""
    n = keys.size
    nnan, first = _nan_keys(keys, nan_k) if check_nan else (0, -1)
    if nnan and not ignore_nan:
        return first
    m = (n - nnan - 1) // 2 if n > nnan else 0
    p = _kth_row(keys, m + 1, qk, qi, s)
    if _count_equal(keys, keys[p]) == 1:
        return p
    for j in range(n):
        qk[j] = keys[j]
        qi[j] = j
    _nth_element(qk, qi, 0, m, n)
    return qi[m]


def median_flat(keys: np.ndarray, nan_k, ignore_nan: bool) -> int:
    """Position in the 1-D keys of the element torch's median()/nanmedian() (no dim) returns."""
    nk = keys.dtype.type(0 if nan_k is None else nan_k)
    k2 = keys.reshape(1, -1)
    tk, ti, p1, p2, counts = scratch(k2, keys.size)
    return int(median_flat_k(keys, nk, nan_k is not None, ignore_nan, np.empty_like(keys),
                             np.empty(keys.size, np.int64), (tk[0], ti[0], p1[0], p2[0], counts[0])))


def kth(keys: np.ndarray, k: int, out_idx: np.ndarray) -> None:
    if keys.size:
        kth_rows(keys, k, out_idx, *_selection_scratch(keys, 1))


def median(keys: np.ndarray, nan_k, ignore_nan: bool, out_idx: np.ndarray) -> None:
    if keys.size:
        nk = keys.dtype.type(0 if nan_k is None else nan_k)
        median_rows(keys, nk, nan_k is not None, ignore_nan, out_idx, *_selection_scratch(keys, 1))


# ------------------------------------------------------------------------------------------------------------
# mode; after a sort: runs (unique)
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def mode_rows(x2, out_pos, qk, qi):
    """ATen's CPU mode on each row of the values x2 (not keys): std::sort of (value, index) pairs by value
    with plain < (NaN unordered, as there), then the last pair of the first longest run of equal values
    (NaN never equal to anything, -0.0 equal to 0.0)."""
    rows, n = x2.shape
    for r in range(rows):
        for j in range(n):
            qk[j] = x2[r, j]
            qi[j] = j
        _std_sort(qk, qi, 0, n)
        best = 0
        run = 0
        pos = 0
        for i in range(n):
            run += 1
            if i == n - 1 or qk[i] != qk[i + 1]:
                if run > best:
                    best = run
                    pos = qi[i]
                run = 0
        out_pos[r] = pos


def mode(x2: np.ndarray, out_pos: np.ndarray) -> None:
    """out_pos[r]: the index torch's CPU mode returns for row r of x2 (rows, n); float16/bfloat16 compare as float32
    (as Half's <), bool as uint8."""
    if x2.dtype == np.float16 or x2.dtype.name == "bfloat16":  # (ml_dtypes' bfloat16: compared as float32 too)
        x2 = x2.astype(np.float32)
    elif x2.dtype == np.bool_:
        x2 = x2.view(np.uint8)
    x2 = np.ascontiguousarray(x2)
    if x2.size:
        mode_rows(x2, out_pos, np.empty(x2.shape[1], x2.dtype), np.empty(x2.shape[1], np.int64))


@njit(cache=True, error_model="numpy")
def run_starts(skeys, nan_k, nan_distinct, starts):
    """Positions where a new run of equal keys begins in skeys (1-D); NaN keys never equal (nan_distinct).
    Returns the number of runs."""
    n = skeys.size
    m = 0
    for i in range(n):
        k = skeys[i]
        if i == 0 or k != skeys[i - 1] or (nan_distinct and k == nan_k):
            starts[m] = i
            m += 1
    return m


@njit(cache=True, error_model="numpy")
def row_run_starts(rows, starts):
    """Like run_starts for the rows of a 2-D key array: a new run where a row differs from the previous."""
    n, w = rows.shape
    m = 0
    for i in range(n):
        new = i == 0
        if not new:
            for j in range(w):
                if rows[i, j] != rows[i - 1, j]:
                    new = True
                    break
        if new:
            starts[m] = i
            m += 1
    return m


# ------------------------------------------------------------------------------------------------------------
# searchsorted, histc, bincount
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def searchsorted_rows(seq, vals, sorter, use_sorter, right, out):
    """For each row r: the insertion point of vals[r, j] in seq[r] (or seq[r, sorter[r]]) with torch's
    comparisons (left: first i with not seq[i] < v, written as not (seq[i] >= v) -> go right)."""
    rows, m = seq.shape
    nv = vals.shape[1]
    for r in range(rows):
        for j in range(nv):
            v = vals[r, j]
            lo = 0
            hi = m
            while lo < hi:
                mid = (lo + hi) // 2
                s = seq[r, sorter[r, mid]] if use_sorter else seq[r, mid]
                go_right = not (s > v) if right else not (s >= v)
                if go_right:
                    lo = mid + 1
                else:
                    hi = mid
            out[r, j] = lo


@njit(cache=True, error_model="numpy")
def histc_into(x, bins, lo, hi, out):
    """torch.histc: equal-width bins over [lo, hi]; values outside (and NaN) are skipped, hi goes in the last."""
    span = hi - lo
    for i in range(x.size):
        v = x[i]
        if v >= lo and v <= hi:
            pos = np.int64((v - lo) * bins / span)
            if pos >= bins or pos < 0:  # v == hi; or an overflow to inf (a tiny span), which converts negative
                pos = bins - 1
            out[pos] += 1


@njit(cache=True, error_model="numpy")
def float_min_max(x):
    """(min, max) of a float64 array, NaN when any value is NaN."""
    lo = x[0]
    hi = x[0]
    for i in range(x.size):
        v = x[i]
        if v != v:
            return v, v
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(cache=True, error_model="numpy")
def int_min_max(x):
    lo = x[0]
    hi = x[0]
    for i in range(x.size):
        v = x[i]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(cache=True, error_model="numpy")
def bincount_into(x, out):
    for i in range(x.size):
        out[x[i]] += 1


@njit(cache=True, error_model="numpy")
def bincount_weights_into(x, w, out):
    for i in range(x.size):
        out[x[i]] += w[i]


# ------------------------------------------------------------------------------------------------------------
# backward: the gradient of a value-selecting op lands at the selected positions
# ------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def scatter_add_along(src, idx, out):
    """out[o, idx[o, i, j], j] += src[o, i, j] for (outer, m, inner) src / idx and a zeroed (outer, n, inner)
    out; an index outside [0, n) is skipped and makes the result False (the caller raises)."""
    outer, m, inner = src.shape
    n = out.shape[1]
    bad = 0
    if inner == 1:  # rows: the common case (the selected dim is the last one)
        s2 = src.reshape(outer, m)
        i2 = idx.reshape(outer, m)
        o2 = out.reshape(outer, n)
        for o in range(outer):
            srow = s2[o]
            irow = i2[o]
            orow = o2[o]
            for i in range(m):
                k = irow[i]
                if k < 0 or k >= n:
                    bad += 1
                else:
                    orow[k] += srow[i]
        return bad == 0
    for o in range(outer):
        orows = out[o]
        for i in range(m):
            s = src[o, i]
            ix = idx[o, i]
            for j in range(inner):
                k = ix[j]
                if k < 0 or k >= n:
                    bad += 1
                else:
                    orows[k, j] += s[j]
    return bad == 0


# ------------------------------------------------------------------------------------------------------------
# small float rows: keys, sort or selection, and values in one kernel call (ops/sorting.py's _FloatCodec)
# ------------------------------------------------------------------------------------------------------------
def _fkeys_into(bits, out, descending):
    pass


@overload(_fkeys_into)
def _fkeys_ol(bits, out, descending):
    if bits.dtype == types.uint32:
        return lambda bits, out, descending: float_keys_32(bits, out, descending)
    return lambda bits, out, descending: float_keys_64(bits, out, descending)


def _fvalues_into(skeys, perm, bits, descending, out):
    pass


@overload(_fvalues_into)
def _fvalues_ol(skeys, perm, bits, descending, out):
    if skeys.dtype == types.uint32:
        return lambda skeys, perm, bits, descending, out: float_values_32(skeys, perm, bits, descending, out)
    return lambda skeys, perm, bits, descending, out: float_values_64(skeys, perm, bits, descending, out)


def _bits(x):
    pass


@overload(_bits)
def _bits_ol(x):
    """The IEEE bits of a C-contiguous float32/float64 array (a view)."""
    if x.dtype == types.float32:
        return lambda x: x.view(np.uint32)
    return lambda x: x.view(np.uint64)


@njit(cache=True, error_model="numpy")
def sort_float_small(x, descending, out, perm):
    """sort of small float rows (x: (rows, n) C-contiguous float32/float64, out likewise): the keys, sort_rows
    and the values, the same three steps as the codec's, in one call."""
    bits = _bits(x)
    out_bits = _bits(out)
    keys = np.empty(bits.shape, bits.dtype)
    _fkeys_into(bits.reshape(-1), keys.reshape(-1), descending)
    _sort_rows_range(keys, perm, 0, bits.shape[0], _scratch_in(keys))
    _fvalues_into(keys, perm, bits, descending, out_bits)


@njit(cache=True, error_model="numpy")
def topk_float_small(x, k, largest, sort_k, out, perm):
    """topk of small float rows (x, out as in sort_float_small; k >= 1): the keys, topk_rows and the values in
    one call."""
    bits = _bits(x)
    out_bits = _bits(out)
    rows, n = bits.shape
    keys = np.empty((rows, n), bits.dtype)
    _fkeys_into(bits.reshape(-1), keys.reshape(-1), largest)
    out_keys = np.empty((rows, k), bits.dtype)
    _topk_range(keys, k, sort_k, out_keys, perm, 0, rows, np.empty(n, bits.dtype), np.empty(n, np.int64),
                _scratch_in(keys))
    _fvalues_into(out_keys, perm, bits, largest, out_bits)
