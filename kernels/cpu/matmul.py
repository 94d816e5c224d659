"""Matrix multiplication kernels: `matmul_into(a, b, out)` and `bmm_into(a, b, out)`.

Strategy, chosen per call from the multiply-add count M*N*K ("work"):

- matmul_into only: a tiny product (work <= SMALL_WORK) or one with M <= 2 rows runs one direct
  i-k-j loop with no setup at all (for one or two rows it streams B at memory speed); one with
  N <= 4 columns runs one vectorized dot product per element (matrix-vector products);
- everything else runs an MR x NR register-blocked micro-kernel: the MR x NR block of C stays in
  vector registers (16 zmm accumulators for float32 with AVX-512: 8 rows x 2 vectors of 16) over a
  contiguous K loop that broadcasts one element of A per row against NR/lanes vectors of B. It
  reads A through two strides (any layout it can address) and B through a row stride (B's rows
  must be unit-stride), masks the loads and stores of edge tiles (no padding needed), and
  prefetches its C tile into L2 while it runs;
- problems below PACK_WORK (about 1600^3) run it straight on a and b when they can be addressed
  as flat buffers (C- or F-contiguous a, C-contiguous b): on this machine that is as fast as
  packing up to 1536^3, and saves the copies. Other operands are packed first;
- large problems pack both, GotoBLAS-style: A into row panels of MR rows stored k-major
  (apack[i0*K + p*MR + i]), B into column panels of NR columns (bpack[j0*K + p*NR + j]). The loop
  nest is K block (KC) -> NC columns of B (a KC x NC block of packed B stays in L2) -> row panel (its
  KC x MR slice stays in L1) -> column panel;
- from PARALLEL_WORK on, with more than one Numba thread, row panels are split across threads
  (PARALLEL_SPLIT row ranges per thread, which the threads of kernels/cpu/batch.run_dynamic take from a
  shared counter and run through the serial _compute, nogil: a prange twin compiled five times slower per
  signature; packing stays serial, a few percent of the time). Batches are cut into batch entries x
  row ranges the same way; batches of small products loop inside one jitted call.

The micro-kernel is a Numba `@intrinsic` that emits LLVM vector IR (<lanes x T> loads, splats,
llvm.fma, llvm.masked.load/store, llvm.prefetch), because Numba cannot keep a vector in a register
from Python code and its loop vectorizer only produces the dot-product form (a horizontal
reduction per output element, about a quarter slower here). The same micro-kernel serves every
dtype: integers use vector multiply and add, which wrap around in their own width exactly as
PyTorch's integer matmul does.

Preconditions, for every entry point (the front end validates; kernels never check bounds):
same dtype for a, b and out (one of float32, float64, int8, int16, int32, int64, uint8), shapes
that agree, `out` C-contiguous and not overlapping a or b. a and b may have any strides (stride 0
from broadcasting included).
"""

from __future__ import annotations

import threading

import llvmlite
import numba
import numpy as np
from llvmlite import binding as _llvm
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .batch import run_dynamic

# ---------------------------------------------------------------------------------------------
# Geometry and thresholds
# ---------------------------------------------------------------------------------------------

# Bytes in one vector register of the host: 64 with AVX-512 (zmm), else 32 (AVX2 ymm).
_VEC_BYTES = 64 if _llvm.get_host_cpu_features().get("avx512f", False) else 32
_TYPED_POINTERS = getattr(llvmlite, "ir_layer_typed_pointers_enabled", True)
MR = 8  # rows of the micro-tile (one broadcast each per K step)
SMALL_WORK = 6000  # work at or below this (about 18^3): direct loop
SKINNY = 2  # products with at most this many rows also take the direct loop...
SKINNY_N = 4  # ...and those with at most this many columns a dot-product loop
PACK_WORK = 1 << 32  # work at or above this: pack a and b (below, only operands that cannot be addressed)
PARALLEL_WORK = 1 << 23  # total work (all batch entries) from which threads share it: ~160 us serial
PARALLEL_SPLIT = 4  # work items per thread (handed out dynamically)
PACK_ELEMENTS = 1 << 22  # bmm packs at most this many elements of a batch at a time
SCRATCH_MIN_BYTES = 1 << 20  # packing buffers from this size on are cached per thread...
SCRATCH_MAX_BYTES = 1 << 26  # ...up to this size


@numba.njit(cache=True, inline="always")
def _nr(itemsize):
    """Columns of the micro-tile: two vector registers for 4- and 8-byte types, one for smaller.
    (Python code calls _nr.py_func.)"""
    lanes = _VEC_BYTES // itemsize
    return 2 * lanes if itemsize >= 4 else lanes


# Per item size: (NR, KC, NC). A KC x NC block of packed B (256 KiB for float32) stays in the
# 1 MiB L2 while row panels stream past it. NC is a multiple of NR.
_BLOCKS = ((1, 512, 1024), (2, 512, 512), (4, 256, 256), (8, 256, 128))
_GEOM = {s: (_nr.py_func(s), kc, nc) for s, kc, nc in _BLOCKS}
_KC = tuple(next((kc for s, kc, _ in _BLOCKS if s == i), 0) for i in range(9))  # by item size, for jitted code
_NC = tuple(next((nc for s, _, nc in _BLOCKS if s == i), 0) for i in range(9))

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


# ---------------------------------------------------------------------------------------------
# Micro-kernel
# ---------------------------------------------------------------------------------------------


@intrinsic
def _micro_kernel(typingctx, kc, a, aoff, sai, sap, mr, b, boff, sbp, nv, c, ci, cj, accumulate):
    """c[ci + i, cj + j] (+)= sum over p < kc of A[i, p] * B[p, j], for i < mr <= MR, j < nv <= NR.

    A[i, p] = a.flat[aoff + i*sai + p*sap] and B[p, j] = b.flat[boff + p*sbp + j] (a, b:
    C-contiguous arrays of any shape, used as flat buffers); c is a 2-D C-contiguous array. Rows
    i >= mr re-read row mr - 1 and are not stored; columns j >= nv are neither loaded nor stored
    (masked). With `accumulate` the sum is added to c, otherwise it overwrites c. No bounds checks.
    """
    if not (isinstance(a, types.Array) and isinstance(b, types.Array) and isinstance(c, types.Array)):
        return None
    dt = a.dtype
    if b.dtype != dt or c.dtype != dt or c.ndim != 2 or any(x.layout != "C" for x in (a, b, c)):
        return None
    sig = types.void(kc, a, aoff, sai, sap, mr, b, boff, sbp, nv, c, ci, cj, accumulate)

    def codegen(context, builder, signature, args):
        targs = signature.args
        ints = (0, 2, 3, 4, 5, 7, 8, 9, 11, 12)
        kc_, aoff_, sai_, sap_, mr_, boff_, sbp_, nv_, ci_, cj_ = (
            context.cast(builder, args[i], targs[i], types.intp) for i in ints
        )
        acc_flag = context.cast(builder, args[13], targs[13], types.boolean)
        intp = context.get_value_type(types.intp)
        i32 = ir.IntType(32)
        is_float = isinstance(dt, types.Float)
        nbytes = dt.bitwidth // 8
        lanes = _VEC_BYTES // nbytes
        nv = _nr.py_func(nbytes) // lanes  # vectors per tile row
        vty = ir.VectorType(context.get_data_type(dt), lanes)
        vptr = vty.as_pointer()
        mty = ir.VectorType(ir.IntType(1), lanes)
        tag = f"v{lanes}{'f' if is_float else 'i'}{dt.bitwidth}"
        mod = builder.module
        if is_float:
            fma = cgutils.get_or_insert_function(mod, ir.FunctionType(vty, [vty] * 3), f"llvm.fma.{tag}")
        ptag = f"p0{tag}" if _TYPED_POINTERS else "p0"  # pointer mangling (LLVM auto-upgrades the typed one)
        mload = cgutils.get_or_insert_function(
            mod, ir.FunctionType(vty, [vptr, i32, mty, vty]), f"llvm.masked.load.{tag}.{ptag}"
        )
        mstore = cgutils.get_or_insert_function(
            mod, ir.FunctionType(ir.VoidType(), [vty, vptr, i32, mty]), f"llvm.masked.store.{tag}.{ptag}"
        )
        A = context.make_array(targs[1])(context, builder, args[1])
        B = context.make_array(targs[6])(context, builder, args[6])
        C = context.make_array(targs[10])(context, builder, args[10])
        pb = builder.gep(B.data, [boff_])
        ldc = builder.sdiv(cgutils.unpack_tuple(builder, C.strides, 2)[0], intp(nbytes))

        def splat(value, ty):
            v = builder.insert_element(ir.Constant(ty, ir.Undefined), value, i32(0))
            return builder.shuffle_vector(
                v, ir.Constant(ty, ir.Undefined), ir.Constant(ir.VectorType(i32, lanes), None)
            )

        # Column masks (j < nv) as bit masks (1 << count) - 1, and row pointers (row i >= mr
        # clamped to mr - 1).
        masks = []
        for v in range(nv):
            count = builder.sub(nv_, intp(v * lanes))
            full = builder.icmp_signed(">=", count, intp(lanes))
            count = builder.select(builder.icmp_signed("<", count, intp(0)), intp(0), count)
            bits = builder.sub(builder.shl(intp(1), builder.select(full, intp(0), count)), intp(1))
            bits = builder.select(full, intp(-1), bits)
            masks.append(builder.bitcast(builder.trunc(bits, ir.IntType(lanes)), mty))
        last = builder.sub(mr_, intp(1))
        rows = []
        for i in range(MR):
            row = builder.select(builder.icmp_signed("<", intp(i), mr_), intp(i), last)
            rows.append(builder.gep(A.data, [builder.add(aoff_, builder.mul(row, sai_))]))

        # Prefetch the C tile into L2 for writing, so its cache misses overlap the K loop (a few
        # percent at 1024^3 and up, where C rows are far apart). Not into L1: rows N apart map
        # to the same L1 sets as B's rows.
        i8ptr = ir.IntType(8).as_pointer()
        prefetch = cgutils.get_or_insert_function(
            mod,
            ir.FunctionType(ir.VoidType(), [i8ptr, i32, i32, i32]),
            "llvm.prefetch.p0i8" if _TYPED_POINTERS else "llvm.prefetch.p0",
        )
        base = builder.gep(C.data, [builder.add(builder.mul(ci_, ldc), cj_)])
        for i in range(MR):
            row = builder.select(builder.icmp_signed("<", intp(i), mr_), intp(i), last)
            rowp = builder.gep(base, [builder.mul(row, ldc)])
            for off in range(0, nv * lanes * nbytes, 64):
                ptr = builder.bitcast(builder.gep(rowp, [intp(off // nbytes)]), i8ptr)
                builder.call(prefetch, [ptr, i32(1), i32(2), i32(1)])  # write, L2, data

        def emit(nvec):
            """The K loop and write-back with nvec vectors per tile row."""
            zero = ir.Constant(vty, None)
            pre = builder.basic_block
            loop = builder.append_basic_block("mk.loop")
            after = builder.append_basic_block("mk.after")
            builder.cbranch(builder.icmp_signed(">", kc_, intp(0)), loop, after)

            # K loop: the accumulators are phi nodes, so they live in registers.
            builder.position_at_end(loop)
            p = builder.phi(intp)
            p.add_incoming(intp(0), pre)
            accs = []
            for _ in range(MR * nvec):
                ph = builder.phi(vty)
                ph.add_incoming(zero, pre)
                accs.append(ph)
            pbp = builder.gep(pb, [builder.mul(p, sbp_)])
            pa_off = builder.mul(p, sap_)
            bvec = [
                builder.call(
                    mload, [builder.bitcast(builder.gep(pbp, [intp(v * lanes)]), vptr), i32(nbytes), masks[v], zero]
                )
                for v in range(nvec)
            ]
            new = []
            for i in range(MR):
                av = splat(builder.load(builder.gep(rows[i], [pa_off])), vty)
                for v in range(nvec):
                    acc = accs[i * nvec + v]
                    if is_float:
                        new.append(builder.call(fma, [av, bvec[v], acc]))
                    else:
                        new.append(builder.add(acc, builder.mul(av, bvec[v])))
            p_next = builder.add(p, intp(1))
            tail = builder.basic_block
            p.add_incoming(p_next, tail)
            for ph, r in zip(accs, new):
                ph.add_incoming(r, tail)
            builder.cbranch(builder.icmp_signed("<", p_next, kc_), loop, after)

            # Write rows i < mr back, masked to the valid columns.
            builder.position_at_end(after)
            final = []
            for k in range(MR * nvec):
                ph = builder.phi(vty)
                ph.add_incoming(zero, pre)
                ph.add_incoming(new[k], tail)
                final.append(ph)
            for i in range(MR):
                with builder.if_then(builder.icmp_signed("<", intp(i), mr_), likely=True):
                    rowp = builder.gep(base, [builder.mul(intp(i), ldc)])
                    for v in range(nvec):
                        vp = builder.bitcast(builder.gep(rowp, [intp(v * lanes)]), vptr)
                        val = final[i * nvec + v]
                        with builder.if_then(acc_flag):
                            old = builder.call(mload, [vp, i32(nbytes), masks[v], zero])
                            total = builder.fadd(old, val) if is_float else builder.add(old, val)
                            builder.call(mstore, [total, vp, i32(nbytes), masks[v]])
                        with builder.if_then(builder.not_(acc_flag)):
                            builder.call(mstore, [val, vp, i32(nbytes), masks[v]])

        # A tile of at most one vector of columns (e.g. a product with N <= 16 for float32) runs a loop with
        # one vector per row: half the FMAs and loads of the two-vector loop, which would compute padding.
        done = builder.append_basic_block("mk.done")
        if nv > 1:
            narrow = builder.append_basic_block("mk.narrow")
            wide = builder.append_basic_block("mk.wide")
            builder.cbranch(builder.icmp_signed("<=", nv_, intp(lanes)), narrow, wide)
            variants = ((narrow, 1), (wide, nv))
        else:
            only = builder.append_basic_block("mk.only")
            builder.branch(only)
            variants = ((only, nv),)
        for block, nvec in variants:
            builder.position_at_end(block)
            emit(nvec)
            builder.branch(done)
        builder.position_at_end(done)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _next_item(typingctx, counter):
    """Atomically counter[0] += 1, returning the old value: a work queue shared by the threads of a
    prange loop (Numba's own scheduling is static)."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64 and counter.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", arr.data, ir.Constant(ir.IntType(64), 1), "monotonic")

    return types.int64(counter), codegen


# ---------------------------------------------------------------------------------------------
# Packing (only rows < M and columns < N are written: the micro-kernel never reads the rest)
# ---------------------------------------------------------------------------------------------


@numba.njit(**_OPTS)
def _pack_a(a, apack, t):
    """Pack a (M, K) into apack[t] (shape (ceil(M/MR)*MR, K)) as row panels: flat element
    i0*K + p*MR + i = a[i0 + i, p] for each panel start i0 (a multiple of MR), i < min(MR, M - i0)."""
    m, k = a.shape
    ap = apack[t].reshape(-1)
    rows_inner = a.strides[0] < a.strides[1]  # column-major-like a: walk rows innermost
    for i0 in range(0, m, MR):
        mr = min(MR, m - i0)
        dst = ap[i0 * k : (i0 + MR) * k]
        src = a[i0 : i0 + mr]
        if rows_inner:
            for p in range(k):
                for i in range(mr):
                    dst[p * MR + i] = src[i, p]
        else:
            for i in range(mr):
                row = src[i]
                for p in range(k):
                    dst[p * MR + i] = row[p]


@numba.njit(**_OPTS)
def _pack_b(b, bpack, t):
    """Pack b (K, N) into bpack[t] (shape (ceil(N/NR)*NR, K)) as column panels: flat element
    j0*K + p*NR + j = b[p, j0 + j] for each panel start j0 (a multiple of NR), j < min(NR, N - j0)."""
    k, n = b.shape
    nr = _nr(b.itemsize)
    bp = bpack[t].reshape(-1)
    cols_inner = b.strides[1] <= b.strides[0]  # row-major-like b: walk columns innermost
    for j0 in range(0, n, nr):
        nv = min(nr, n - j0)
        dst = bp[j0 * k : (j0 + nr) * k]
        src = b[:, j0 : j0 + nv]
        if cols_inner:
            for p in range(k):
                row = src[p]
                d = dst[p * nr : p * nr + nv]
                for j in range(nv):
                    d[j] = row[j]
        else:  # column-major-like b (e.g. a transposed weight): a transpose, blocked so dst stays in L1
            for p0 in range(0, k, 128):
                p1 = min(p0 + 128, k)
                for j in range(nv):
                    col = src[p0:p1, j]
                    d = dst[p0 * nr + j : p1 * nr]
                    for p in range(p1 - p0):
                        d[p * nr] = col[p]


@numba.njit(**_OPTS)
def _pack_a_batched(a, apack):
    """_pack_a for each a[t] into apack[t]."""
    for t in range(a.shape[0]):
        _pack_a(a[t], apack, t)


@numba.njit(**_OPTS)
def _pack_b_batched(b, bpack):
    """_pack_b for each b[t] into bpack[t]."""
    for t in range(b.shape[0]):
        _pack_b(b[t], bpack, t)


# ---------------------------------------------------------------------------------------------
# Blocked multiply. Only _compute (and _direct, through it) contains the micro-kernel: Numba re-optimizes a
# callee inside every caller, so each extra caller would cost another second or so of compilation.
# ---------------------------------------------------------------------------------------------


@numba.njit(**_OPTS)
def _compute(a3, a_ps, sai, sap, b3, b_ps, sbp, out, k, t0, t1, r0, r1, kc_block, nc_block):
    """out[t, r0*MR : r1*MR] = A_t @ B_t for t in [t0, t1) (rows clipped to out's).

    a3 and b3 are 3-D C-contiguous arrays whose entries a3[t], b3[t] are used as flat buffers:
    A_t[i, p] = a3[t].flat[i0*a_ps + i*sai + p*sap] with i0 = MR*(i // MR) the start of the row
    panel, and B_t[p, j] = b3[t].flat[j0*b_ps + p*sbp + j] with j0 = NR*(j // NR). So one function
    serves packed buffers (a_ps = K, sai = 1, sap = MR; b_ps = K, sbp = NR) and unpacked operands
    (C-contiguous a: a_ps = sai = K, sap = 1; a given as its C-contiguous transpose: a_ps = sai = 1,
    sap = M; C-contiguous b: b_ps = 1, sbp = N). An a3 or b3 with a single entry serves every t
    (broadcast batch). nc_block must be a multiple of NR.
    """
    m, n = out.shape[1], out.shape[2]
    nr = _nr(out.itemsize)
    sa = 1 if a3.shape[0] > 1 else 0
    sb = 1 if b3.shape[0] > 1 else 0
    for t in range(t0, t1):
        ap = a3[t * sa]
        bp = b3[t * sb]
        c = out[t]
        for k0 in range(0, k, kc_block):
            kc = min(kc_block, k - k0)
            acc = k0 > 0
            for j0 in range(0, n, nc_block):
                j1 = min(j0 + nc_block, n)
                for i0 in range(r0 * MR, min(r1 * MR, m), MR):
                    mr = min(MR, m - i0)
                    aoff = i0 * a_ps + k0 * sap
                    for jj in range(j0, j1, nr):
                        boff = jj * b_ps + k0 * sbp
                        _micro_kernel(kc, ap, aoff, sai, sap, mr, bp, boff, sbp, min(nr, n - jj), c, i0, jj, acc)



@numba.njit(**_OPTS)
def _direct(a, b, out):
    """out = a @ b on the micro-kernel straight from C-contiguous a and b, serial: what _run does for them,
    in one jitted call (a Python-level _run costs ~2 us of argument unboxing, a fifth of a 64^3 product)."""
    m, k = a.shape
    n = b.shape[1]
    _compute(a.reshape((1, m, k)), k, k, 1, b.reshape((1, k, n)), 1, n, out.reshape((1, m, n)), k, 0, 1, 0,
             (m + MR - 1) // MR, _KC[out.itemsize], _NC[out.itemsize])


# ---------------------------------------------------------------------------------------------
# Direct loop for a single tiny product
# ---------------------------------------------------------------------------------------------


@numba.njit(**_OPTS)
def _small(a, b, out):
    """out = a @ b by an i-k-j loop (the j loop vectorizes when b's rows are contiguous)."""
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        row = out[i]
        for j in range(n):
            row[j] = 0
        arow = a[i]
        for p in range(k):
            x = arow[p]
            brow = b[p]
            for j in range(n):
                row[j] += x * brow[j]


@numba.njit(fastmath={"reassoc", "contract"}, **_OPTS)
def _dot(a, bt, out):
    """out = a @ bt.T by one dot product per element, for few columns (matrix-vector products),
    where the MR x NR tile would mostly compute padding. bt is b transposed, C-contiguous. The K
    loop vectorizes into several partial sums (reassociation only: NaN and inf behave as usual)."""
    m, k = a.shape
    n = bt.shape[0]
    for i in range(m):
        arow = a[i]
        for j in range(n):
            bcol = bt[j]
            acc = arow[0] * bcol[0]
            for p in range(1, k):
                acc += arow[p] * bcol[p]
            out[i, j] = acc


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


_tls = threading.local()


def _scratch(slot, shape, dtype):
    """An uninitialized array for packing. Large ones come from a per-thread cache (two slots, one
    per operand), which saves the page faults of fresh memory on every call; matmuls running in
    different threads do not share buffers. Slots hold at most SCRATCH_MAX_BYTES each."""
    nbytes = shape[0] * shape[1] * shape[2] * dtype.itemsize
    if nbytes < SCRATCH_MIN_BYTES or nbytes > SCRATCH_MAX_BYTES:
        return np.empty(shape, dtype)
    slots = getattr(_tls, "slots", None)
    if slots is None:
        slots = _tls.slots = [None, None]
    buf = slots[slot]
    if buf is None or buf.size < nbytes:
        buf = slots[slot] = np.empty(nbytes, np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _is_c_writable(x: np.ndarray) -> bool:
    flags = x.flags
    return flags.c_contiguous and flags.writeable


def _c_writable(x: np.ndarray) -> np.ndarray:
    """x, or a C-contiguous writable copy of it. Numba compiles a kernel once per operand layout (C, F, any) and
    per writability, so the small-product loops take one kind of array: a copy of a small or skinny operand
    costs less than those compiles, and the loops run fastest on C-contiguous rows anyway."""
    return x if _is_c_writable(x) else np.array(x, order="C")


def _readonly(x: np.ndarray) -> np.ndarray:
    """A read-only view of x: the packing loops then compile one version for writable and read-only operands."""
    v = x.view()
    v.flags.writeable = False
    return v


def _run(a3, b3, out3, m, n, k, work, parallel):
    """out3[t] = a3[t] @ b3[t] on the micro-kernel path (m, n, k >= 1, work = m*n*k); a3 or b3 may
    have a single entry that serves every t. With `parallel` (and more than one Numba thread), the
    work is cut into batch entries x row ranges, about PARALLEL_SPLIT items per thread."""
    nr, kcb, ncb = _GEOM[out3.dtype.itemsize]
    # (read-only operands, such as broadcast views, are packed: _compute then sees writable arrays only)
    direct = work < PACK_WORK
    if direct and a3.flags.writeable and a3.flags.c_contiguous:
        a_ps, sai, sap = k, k, 1
    elif direct and a3.flags.writeable and a3.swapaxes(1, 2).flags.c_contiguous:
        a3, a_ps, sai, sap = a3.swapaxes(1, 2), 1, 1, m
    else:
        ap = _scratch(0, (a3.shape[0], -(-m // MR) * MR, k), out3.dtype)
        _pack_a_batched(_readonly(a3), ap)
        a3, a_ps, sai, sap = ap, k, 1, MR
    if direct and b3.flags.writeable and b3.flags.c_contiguous:
        b_ps, sbp = 1, n
    else:
        bp = _scratch(1, (b3.shape[0], -(-n // nr) * nr, k), out3.dtype)
        _pack_b_batched(_readonly(b3), bp)
        b3, b_ps, sbp = bp, k, nr
    nb = out3.shape[0]
    npan = -(-m // MR)
    if parallel:
        threads = numba.get_num_threads()  # about 1 us
        if threads > 1:
            rchunks = min(npan, -(-PARALLEL_SPLIT * threads // nb))

            def rows_of_entry(item: int) -> None:  # entry t, row panels [r0, r1): the serial kernel's signature
                t, q = divmod(item, rchunks)
                _compute(a3, a_ps, sai, sap, b3, b_ps, sbp, out3, k, t, t + 1, q * npan // rchunks,
                         (q + 1) * npan // rchunks, kcb, ncb)

            run_dynamic(rows_of_entry, nb * rchunks, threads)
            return
    _compute(a3, a_ps, sai, sap, b3, b_ps, sbp, out3, k, 0, nb, 0, npan, kcb, ncb)


def matmul_into(a, b, out):
    """out[...] = a @ b.

    a: (M, K), b: (K, N), out: (M, N) C-contiguous, all of one dtype among float32, float64, int8,
    int16, int32, int64, uint8; a and b may have any strides. Integers wrap around in their own
    dtype. out must not overlap a or b. Inputs are not validated.
    """
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        out.fill(0)
        return
    work = m * n * k
    if work <= SMALL_WORK:
        _small(_c_writable(a), _c_writable(b), out)
    elif m <= SKINNY:
        a = _c_writable(a)
        if b.flags.c_contiguous and b.flags.writeable:
            _small(a, b, out)
        else:  # (a transposed weight: b.T is C-contiguous, its rows the dot products' operands)
            _dot(a, _c_writable(b.T), out)
    elif n <= SKINNY_N:
        _dot(_c_writable(a), _c_writable(b.T), out)
    elif work < PARALLEL_WORK and _is_c_writable(a) and _is_c_writable(b):
        _direct(a, b, out)
    else:
        _run(a[None], b[None], out[None], m, n, k, work, work >= PARALLEL_WORK)


def bmm_into(a, b, out):
    """out[t] = a[t] @ b[t] for every t.

    a: (B, M, K), b: (B, K, N), out: (B, M, N) C-contiguous, all of one dtype (see matmul_into);
    a and b may have any strides, including stride 0 in the batch dimension. out must not overlap
    a or b. Inputs are not validated.
    """
    nb, m, k = a.shape
    n = b.shape[2]
    if nb == 0 or m == 0 or n == 0:
        return
    if k == 0:
        out.fill(0)
        return
    work = m * n * k
    if nb == 1 and work <= SMALL_WORK:
        _small(_c_writable(a[0]), _c_writable(b[0]), out[0])
        return
    # Many small products also take the micro-kernel path: _compute loops over the batch itself,
    # a few tens of nanoseconds per tile, where a loop of _small calls costs 0.3 us or more each.
    parallel = work * nb >= PARALLEL_WORK
    # Broadcast batch operands are used (and packed) once; batch entries go in groups of at most
    # PACK_ELEMENTS operand elements, to bound the packed copies.
    a_shared = a.strides[0] == 0
    b_shared = b.strides[0] == 0
    per = (0 if a_shared else k * m) + (0 if b_shared else k * n)
    group = max(1, min(nb, PACK_ELEMENTS // per)) if per else nb
    for t0 in range(0, nb, group):
        t1 = min(nb, t0 + group)
        a3 = a[:1] if a_shared else a[t0:t1]
        b3 = b[:1] if b_shared else b[t0:t1]
        _run(a3, b3, out[t0:t1], m, n, k, work, parallel)
