"""CPU reduction kernels.

Every reduction arrives in canonical form: a 3-D view ``x`` of shape ``(outer, r, inner)`` (any strides,
including negative and zero ones) reduced over axis 1 into a C-contiguous ``out`` of shape
``(outer, inner)``. Entry points: ``sum_into``, ``prod_into``, ``max_into``, ``min_into``, ``argmax_into``,
``argmin_into``, ``max_with_indices_into``, ``min_with_indices_into``, ``var_into``, ``var_mean_into``,
``logsumexp_into``, ``norm_into``, ``any_into``, ``all_into``, ``count_nonzero_into``.

Layout handling
---------------
The entry functions describe ``x`` by a 1-D C-contiguous buffer ``buf`` spanning all its elements
(``x.reshape(-1)`` when ``x`` is C-contiguous, otherwise a view of the memory from its lowest to its highest
element), a start offset ``base`` and element strides ``s0, s1, s2``: ``x[o, k, j]`` is
``buf[base + o*s0 + k*s1 + j*s2]``. One compiled kernel per (operation, dtype) picks the loop order:

* rows mode (rows along ``r`` contiguous, ``s1 == 1``; e.g. a whole-array reduction or one over the last
  axis): each output element reduces one contiguous row in blocks of ``_BLOCK`` elements; the inner loop
  vectorizes into several accumulators.
* tiles mode (rows along ``inner`` contiguous, ``s2 == 1``, ``inner > 1``; e.g. a sum over axis 0 of a
  matrix): the rows of ``x`` are accumulated into a tile of up to ``_TILE`` outputs, vectorized along
  ``inner``; rows are read in memory order. Narrow tiles whose rows are adjacent (e.g. ``(n, 4)`` summed
  over axis 0) are reduced as one flat run with ~64 lanes that are folded into the outputs at the end.
* anything else (neither axis contiguous) is copied to C order first (NumPy does the strided gather).

Work is cut into tasks (output elements or output tiles, and chunks of ``r`` when there are too few of
those). ``*_s`` kernels run all tasks on the calling thread; ``*_p`` kernels (chosen from ``PAR_MIN``
elements on, when numba has more than one thread) run groups of tasks under ``prange`` and combine the chunk
results in chunk order, so arg-reductions keep the first index.

Accuracy: float32 sums accumulate float32 lanes over blocks of at most ``_BLOCK`` elements (rows mode) or
``_RB`` rows (tiles mode) into float64 totals; variance (two-pass: mean, then squared deviations), products,
norms other than inf/-inf and logsumexp accumulate float32 input in float64. Integer sums and products
accumulate in int64 (wrapping).

NaN semantics follow PyTorch: max/min propagate NaN; argmax/argmin return the index of the first NaN, and
otherwise of the first occurrence of the extreme value.

Compile time: kernels are specialized per input dtype; only float32, float64, int64, uint64 and (for sum and
count_nonzero/any/all) uint8/bool have their own kernels, other integer types are widened to int64.
"""

import math

import ml_dtypes
import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload
from numba.np import numpy_support

__all__ = [
    "sum_into",
    "sum_small_into",
    "prod_into",
    "max_into",
    "min_into",
    "argmax_into",
    "argmin_into",
    "max_with_indices_into",
    "min_with_indices_into",
    "var_into",
    "var_mean_into",
    "logsumexp_into",
    "norm_into",
    "any_into",
    "all_into",
    "count_nonzero_into",
]

# ----------------------------------------------------------------------------------------------------------
# Tunables. The thresholds are read at call time, so tests may lower them to force the parallel kernels.
# ----------------------------------------------------------------------------------------------------------
_BLOCK = 2048  # rows mode: elements per float32 accumulation block
_ABLOCK = 1024  # arg-reductions: elements per block whose max is computed before searching for the index
_TILE = 16384  # tiles mode: outputs per tile (whole rows up to this width: sequential memory access)
_RB = 32  # tiles mode: rows per float32 accumulation block
_NARROW = 32  # tiles mode: dense tiles narrower than this are reduced as a flat run of ~64 lanes

# Elements from which reductions run in parallel (with more than one numba thread). On the 2-vCPU target a
# parallel region pays off from about 1M float32 elements when the second core is free (1.2x at 1M, 1.6x at
# 4M), and the second core is often busy, so the thresholds are high.
PAR_MIN = 1 << 20  # cheap reductions (sum, max, argmax, count, ...); variance uses PAR_MIN // 2
PAR_MIN_HEAVY = 1 << 18  # exp/pow based reductions (logsumexp, general p-norm)
CHUNK_MIN = 1 << 14  # fewest elements that a parallel task reduces when r is cut into chunks

_FM = {"reassoc", "contract"}  # no nnan/ninf: NaN and inf must behave as IEEE says
_JIT = dict(cache=True, error_model="numpy", nogil=True)
_HJIT = dict(error_model="numpy", fastmath=_FM, nogil=True)  # helpers (inlined into the kernels)


# ----------------------------------------------------------------------------------------------------------
# Intrinsics
# ----------------------------------------------------------------------------------------------------------
def _minmax_codegen(is_max):
    def codegen(context, builder, sig, args):
        ty = sig.return_type
        lt = context.get_value_type(ty)
        a, b = args
        if isinstance(ty, types.Float):
            # llvm.maximum/minimum propagate NaN and vectorize as reductions; nsz makes them cheap on x86.
            name = f"llvm.{'maximum' if is_max else 'minimum'}.f{ty.bitwidth}"
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lt, [lt, lt]), name)
            return builder.call(fn, [a, b], fastmath=("nsz",))
        if isinstance(ty, types.Integer) and ty.signed:
            c = builder.icmp_signed(">" if is_max else "<", a, b)
        else:
            c = builder.icmp_unsigned(">" if is_max else "<", a, b)
        return builder.select(c, a, b)

    return codegen


@intrinsic
def _vmax(typingctx, a, b):
    if a != b or not isinstance(a, (types.Float, types.Integer, types.Boolean)):
        return None
    return a(a, b), _minmax_codegen(True)


@intrinsic
def _vmin(typingctx, a, b):
    if a != b or not isinstance(a, (types.Float, types.Integer, types.Boolean)):
        return None
    return a(a, b), _minmax_codegen(False)


@intrinsic
def _to(typingctx, v, like):
    """Convert ``v`` to the type of ``like`` (like a C cast)."""

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[0], sig.args[0], sig.args[1])

    return like(v, like), codegen


@intrinsic
def _i64_as_f64(typingctx, i):
    """Reinterpret the bits of an int64 as a float64."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(**_HJIT)
def _exp_nonpos(d):
    """exp(d) for float64 d <= 0 (or NaN), relative error below 1e-11, in plain arithmetic so that loops
    over it vectorize (math.exp is a scalar libm call). Arguments below -700 are clamped (exp < 1e-304)."""
    d = max(d, -700.0)
    k = math.floor(d * 1.4426950408889634 + 0.5)
    r = d - k * 0.6931471803691238 - k * 1.9082149292705877e-10  # ln 2 split in two parts
    e = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880)))))))))
    return e * _i64_as_f64((np.int64(k) + 1023) << 52)


def _exp_shifted(d, v):
    """exp(d), d = x - max(x) <= 0, for an element v of the input (only its type matters)."""
    return math.exp(d)


@overload(_exp_shifted)
def _exp_shifted_ol(d, v):
    if v == types.float32:  # float32 results: the vectorizable polynomial is accurate enough
        return lambda d, v: _exp_nonpos(d)
    return lambda d, v: math.exp(d)  # float64 results keep libm accuracy


def _alloc(n, like):
    """np.empty(n) with the dtype of the scalar ``like`` (cheaper to compile than np.full)."""
    return np.empty(n, np.asarray(like).dtype)


@overload(_alloc)
def _alloc_ol(n, like):
    dt = numpy_support.as_dtype(like)

    def impl(n, like):
        return np.empty(n, dt)

    return impl


# ----------------------------------------------------------------------------------------------------------
# Element maps and combiners, selected by integer codes. The codes are always passed as integer literals:
# numba then compiles one specialization per code (Literal[int] argument types) and LLVM folds the
# branches away, so the loops are as tight as hand-written ones. (Passing jitted functions as arguments
# instead makes the kernels uncacheable or needs inline="always", which compiles much more slowly.)
#   map codes:     0 x, 1 |x|, 2 x*x, 3 |x|**p, 4 x != 0, 5 (x - c)**2, 6 exp(x - c) (c >= x)
#   combine codes: 0 add, 1 multiply, 2 max (NaN propagates), 3 min (NaN propagates)
#   post codes:    0 copy, 1 sqrt, 2 **(1/p), 3 count (p == 0) / any (p == 1) / all (p == 2)
# ----------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _map(mop, v, c, p, z):
    """Map element v, result in the type of z (the accumulator)."""
    if mop == 0:
        return _to(v, z)
    if mop == 1:
        return abs(_to(v, z))
    if mop == 2:
        w = _to(v, z)
        return _to(w * w, z)
    if mop == 3:
        return _to(abs(_to(v, z)) ** p, z)
    if mop == 4:
        return _to(v != 0, z)
    if mop == 5:
        d = _to(v, z) - c
        return _to(d * d, z)
    return _to(_exp_shifted(_to(v, z) - c, v), z)


@njit(**_HJIT)
def _comb(cop, a, b):
    if cop == 0:
        return _to(a + b, a)
    if cop == 1:
        return _to(a * b, a)
    if cop == 2:
        return _vmax(a, b)
    return _vmin(a, b)


@njit(**_HJIT)
def _better(cop, a, b):
    """For arg-reductions: a beats b (strictly greater/smaller, or a is the first NaN)."""
    if cop == 2:
        return (a > b) | ((a != a) & (b == b))
    return (a < b) | ((a != a) & (b == b))


# ----------------------------------------------------------------------------------------------------------
# Reduction loops
# ----------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _run(g0, g1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, mop, cop, lane0, tot0, cv, p, part):
    """Run tasks g0 <= t < g1. Task (c, unit) reduces chunk c (rows c*csz ... of r) of one output element
    (rows mode) or of one tile of _TILE outputs (tiles mode); chunk c of output q goes to
    part[c*outer*inner + q]. cv[q] is the centre passed to the map (mean for var, max for logsumexp).

    Rows mode reduces a contiguous row in blocks of _BLOCK elements with lane-typed accumulators (the loop
    vectorizes into several accumulators) and a tot-typed total.
    Tiles mode accumulates the rows of a tile into lane-typed accumulators, moved to tot-typed totals every
    _RB rows. Narrow dense tiles (w < _NARROW, rows adjacent) are reduced as one flat run with a period of
    about 2 * _NARROW lanes, folded into the w outputs at the end."""
    nres = outer * inner
    if tiles:
        ntiles = (inner + _TILE - 1) // _TILE
        per_c = outer * ntiles
        wmax = min(_TILE, inner)
        lanes = _alloc(max(wmax, 2 * _NARROW), lane0)
        acc = _alloc(wmax, tot0)
        for t in range(g0, g1):
            c = t // per_c
            rem = t - c * per_c
            o = rem // ntiles
            j0 = (rem - o * ntiles) * _TILE
            w = min(_TILE, inner - j0)
            k0 = c * csz
            k1 = min(r, k0 + csz)
            st = base + o * s0 + j0
            q0 = o * inner + j0
            cvt = cv[q0 : q0 + w]
            kd = k0
            if mop < 5 and w < _NARROW and s1 == w:
                # dense narrow tile (maps without a centre): rows k0.. form one flat run, reduced with
                # P lanes holding g whole rows, folded into the w outputs; leftover rows go below
                g = (2 * _NARROW) // w
                P = g * w
                nper = (k1 - k0) // g
                kd = k0 + nper * g
                flat = buf[st + k0 * s1 : st + kd * s1]
                c0 = cvt[0]
                for j in range(w):
                    acc[j] = tot0
                for pb in range(0, nper, _RB):
                    for l in range(P):
                        lanes[l] = lane0
                    for m in range(pb, min(pb + _RB, nper)):
                        seg = flat[m * P : m * P + P]
                        for l in range(P):
                            lanes[l] = _comb(cop, lanes[l], _map(mop, seg[l], c0, p, lane0))
                    for l in range(P):
                        acc[l % w] = _comb(cop, acc[l % w], _to(lanes[l], tot0))
            for kb in range(kd, k1, _RB):
                ke = min(kb + _RB, k1)
                row = buf[st + kb * s1 : st + kb * s1 + w]
                for j in range(w):
                    lanes[j] = _map(mop, row[j], cvt[j], p, lane0)
                for k in range(kb + 1, ke):
                    row = buf[st + k * s1 : st + k * s1 + w]
                    for j in range(w):
                        lanes[j] = _comb(cop, lanes[j], _map(mop, row[j], cvt[j], p, lane0))
                if kb == k0:
                    for j in range(w):
                        acc[j] = _to(lanes[j], tot0)
                else:
                    for j in range(w):
                        acc[j] = _comb(cop, acc[j], _to(lanes[j], tot0))
            off = c * nres + q0
            for j in range(w):
                part[off + j] = acc[j]
    else:
        # (c, q = o*inner + j) of task g0, then stepped without divisions
        c = g0 // nres
        q = g0 - c * nres
        o = q // inner
        j = q - o * inner
        for t in range(g0, g1):
            k0 = c * csz
            n = min(r, k0 + csz) - k0
            st = base + o * s0 + j * s2 + k0
            cq = cv[q]
            tot = tot0
            for b0 in range(0, n, _BLOCK):
                blk = buf[st + b0 : st + min(n, b0 + _BLOCK)]
                s = lane0
                for k in range(blk.size):
                    s = _comb(cop, s, _map(mop, blk[k], cq, p, lane0))
                tot = _comb(cop, tot, _to(s, tot0))
            part[t] = tot
            j += 1
            q += 1
            if j == inner:
                j = 0
                o += 1
                if q == nres:
                    q = 0
                    o = 0
                    c += 1


@njit(**_HJIT)
def _fin(cop, post, part, nch, nres, r, p, out):
    """Combine the chunk results (in chunk order) into part[:nres] and write out."""
    for c in range(1, nch):
        off = c * nres
        for q in range(nres):
            part[q] = _comb(cop, part[q], part[off + q])
    if post == 0:
        for q in range(nres):
            out[q] = part[q]
    elif post == 1:
        for q in range(nres):
            out[q] = math.sqrt(part[q])
    elif post == 2:
        ip = 1.0 / p
        for q in range(nres):
            out[q] = part[q] ** ip
    elif p == 0.0:
        for q in range(nres):
            out[q] = part[q]
    elif p == 1.0:
        for q in range(nres):
            out[q] = part[q] > 0
    else:
        for q in range(nres):
            out[q] = part[q] == r


# --- arg-reductions -----------------------------------------------------------------------------------------
@njit(**_HJIT)
def _argrun(g0, g1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, cop, ident, pv, pi):
    """Like _run for (value, index) of the max (cop 2) or min (cop 3); the first occurrence wins and the
    first NaN beats everything. Rows mode computes block maxima (vectorized) and then searches only the
    block that holds the result; tiles mode keeps a value and an index per output (vectorized selects)."""
    nres = outer * inner
    if tiles:
        ntiles = (inner + _TILE - 1) // _TILE
        per_c = outer * ntiles
        wmax = min(_TILE, inner)
        vals = _alloc(wmax, ident)
        idx = np.empty(wmax, np.int64)
        for t in range(g0, g1):
            c = t // per_c
            rem = t - c * per_c
            o = rem // ntiles
            j0 = (rem - o * ntiles) * _TILE
            w = min(_TILE, inner - j0)
            k0 = c * csz
            st = base + o * s0 + j0
            row = buf[st + k0 * s1 : st + k0 * s1 + w]
            for j in range(w):
                vals[j] = row[j]
                idx[j] = k0
            for k in range(k0 + 1, min(r, k0 + csz)):
                a = st + k * s1
                row = buf[a : a + w]
                for j in range(w):
                    v = row[j]
                    b = vals[j]
                    u = _better(cop, v, b)
                    vals[j] = v if u else b
                    idx[j] = k if u else idx[j]
            off = c * nres + o * inner + j0
            for j in range(w):
                pv[off + j] = vals[j]
                pi[off + j] = idx[j]
    else:
        for t in range(g0, g1):
            c = t // nres
            q = t - c * nres
            o = q // inner
            k0 = c * csz
            st = base + o * s0 + (q - o * inner) * s2 + k0
            row = buf[st : st + min(r, k0 + csz) - k0]
            n = row.size
            best = row[0]
            bb = 0
            for b0 in range(0, n, _ABLOCK):
                blk = row[b0 : min(n, b0 + _ABLOCK)]
                m = ident
                for k in range(blk.size):
                    m = _comb(cop, m, blk[k])
                if _better(cop, m, best):
                    best = m
                    bb = b0
                if best != best:
                    break
            blk = row[bb : min(n, bb + _ABLOCK)]
            bi = bb
            for k in range(blk.size):
                v = blk[k]
                if (v == best) | (v != v):
                    bi = bb + k
                    break
            pv[t] = row[bi]  # the element itself (the block max may differ in the sign of a zero)
            pi[t] = bi + k0


@njit(**_HJIT)
def _argfin(cop, pv, pi, nch, nres, ov, oi):
    # chunks in increasing order of k: a later chunk wins only if strictly better (first index on ties)
    for c in range(1, nch):
        off = c * nres
        for q in range(nres):
            if _better(cop, pv[off + q], pv[q]):
                pv[q] = pv[off + q]
                pi[q] = pi[off + q]
    for q in range(nres):
        ov[q] = pv[q]
        oi[q] = pi[q]


# ----------------------------------------------------------------------------------------------------------
# Planning
# ----------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _use_tiles(r, inner, s1, s2):
    # tiles mode needs contiguous inner rows; otherwise rows along r are contiguous (s1 == 1)
    return inner > 1 and s2 == 1 and (s1 != 1 or r == 1)


@njit(**_HJIT)
def _units(tiles, outer, inner):
    """Tasks per chunk of r: output tiles (tiles mode) or output elements (rows mode)."""
    if tiles:
        return outer * ((inner + _TILE - 1) // _TILE)
    return outer * inner


@njit(**_HJIT)
def _plan(tiles, outer, r, inner, nthr, min_chunk):
    """(nch, csz, ntasks, ngroups): r is cut into nch chunks of csz when there are too few tasks.

    nthr == 1: one group holding all tasks, no chunks (the serial path)."""
    units = _units(tiles, outer, inner)
    if nthr <= 1:
        return 1, r, units, 1
    target = 4 * nthr
    nch = 1
    if units < target:
        # a chunk holds at least min_chunk elements: rows of a tile hold up to _TILE of them
        min_rows = max(1, min_chunk // min(inner, _TILE)) if tiles else max(1, min_chunk)
        nch = min((target + units - 1) // units, max(1, r // min_rows))
    csz = (r + nch - 1) // nch
    nch = (r + csz - 1) // csz
    nt = nch * units
    return nch, csz, nt, min(nt, 4 * nthr)


@njit(**_HJIT)
def _bounds(g, ng, nt):
    gi = np.int64(g)
    return gi * nt // ng, (gi + 1) * nt // ng


# ----------------------------------------------------------------------------------------------------------
# Kernels. (buf, base, outer, r, inner, s0, s1, s2) describe x (module docstring); out is the flat output;
# lane0/tot0 are the identities in the lane/total accumulator types; p is the extra parameter (norm order,
# count mode); nthr the number of threads; min_chunk the fewest elements per parallel task when r is cut;
# part (parallel kernels) a scratch array of totals allocated by the caller.
# *_s kernels are serial (no parallel region, so no thread wake-up); the single-pass ones write their totals
# straight into out. *_p kernels run groups of tasks under prange. The map/combine/post codes are written
# out as literals in every call (see above).
# ----------------------------------------------------------------------------------------------------------
_PAR = dict(comprehension=False, prange=True, numpy=False, reduction=False, setitem=False, stencil=False,
            fusion=False, inplace_binop=False)
_PJIT = dict(parallel=_PAR, **_JIT)


@njit(**_JIT)
def _sum_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # sum
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 0, 0, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _sum_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # sum; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 0, lane0, tot0, part, p, part)
    _fin(0, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _prod_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # product
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 0, 1, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _prod_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # product; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 1, lane0, tot0, part, p, part)
    _fin(1, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _max_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # max
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 0, 2, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _max_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # max; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 2, lane0, tot0, part, p, part)
    _fin(2, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _min_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # min
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 0, 3, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _min_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # min; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 3, lane0, tot0, part, p, part)
    _fin(3, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _cnt_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # count_nonzero / any / all (p = 0 / 1 / 2)
    tiles = _use_tiles(r, inner, s1, s2)
    nres = outer * inner
    part = _alloc(nres, tot0)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 4, 0, lane0, tot0, part, p, part)
    for q in range(nres):
        c = part[q]
        if p == 0.0:
            out[q] = c
        elif p == 1.0:
            out[q] = c > 0
        else:
            out[q] = c == r


@njit(**_PJIT)
def _cnt_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # count_nonzero / any / all (p = 0 / 1 / 2); part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 4, 0, lane0, tot0, part, p, part)
    _fin(0, 3, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _asum_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # sum |x|
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 1, 0, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _asum_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # sum |x|; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 1, 0, lane0, tot0, part, p, part)
    _fin(0, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _norm2_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # sqrt(sum x^2)
    tiles = _use_tiles(r, inner, s1, s2)
    nres = outer * inner
    part = _alloc(nres, tot0)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 2, 0, lane0, tot0, part, p, part)
    for q in range(nres):
        out[q] = math.sqrt(part[q])


@njit(**_PJIT)
def _norm2_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # sqrt(sum x^2); part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 2, 0, lane0, tot0, part, p, part)
    _fin(0, 1, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _normp_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # (sum |x|^p)^(1/p)
    tiles = _use_tiles(r, inner, s1, s2)
    nres = outer * inner
    part = _alloc(nres, tot0)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 3, 0, lane0, tot0, part, p, part)
    ip = 1.0 / p
    for q in range(nres):
        out[q] = part[q] ** ip


@njit(**_PJIT)
def _normp_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # (sum |x|^p)^(1/p); part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 3, 0, lane0, tot0, part, p, part)
    _fin(0, 2, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _amax_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # max |x|
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 1, 2, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _amax_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # max |x|; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 1, 2, lane0, tot0, part, p, part)
    _fin(2, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _amin_s(buf, base, outer, r, inner, s0, s1, s2, out, lane0, tot0, p):
    # min |x|
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _run(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 1, 3, lane0, tot0, out, p, out)


@njit(**_PJIT)
def _amin_p(buf, base, outer, r, inner, s0, s1, s2, out, part, lane0, tot0, p, nthr, min_chunk):
    # min |x|; part: scratch of at least nch * outer * inner totals
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 1, 3, lane0, tot0, part, p, part)
    _fin(3, 0, part, nch, outer * inner, r, p, out)


@njit(**_JIT)
def _argmax_s(buf, base, outer, r, inner, s0, s1, s2, ov, oi, ident):
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _argrun(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 2, ident, ov, oi)


@njit(**_PJIT)
def _argmax_p(buf, base, outer, r, inner, s0, s1, s2, ov, oi, pv, pi, ident, nthr, min_chunk):
    # pv, pi: scratch values / indices of at least nch * outer * inner entries
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _argrun(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 2, ident, pv, pi)
    _argfin(2, pv, pi, nch, outer * inner, ov, oi)


@njit(**_JIT)
def _argmin_s(buf, base, outer, r, inner, s0, s1, s2, ov, oi, ident):
    tiles = _use_tiles(r, inner, s1, s2)
    nt = _units(tiles, outer, inner)
    _argrun(nt - nt, nt, tiles, nt // nt, r, buf, base, outer, r, inner, s0, s1, s2, 3, ident, ov, oi)


@njit(**_PJIT)
def _argmin_p(buf, base, outer, r, inner, s0, s1, s2, ov, oi, pv, pi, ident, nthr, min_chunk):
    # pv, pi: scratch values / indices of at least nch * outer * inner entries
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _argrun(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 3, ident, pv, pi)
    _argfin(3, pv, pi, nch, outer * inner, ov, oi)


@njit(**_JIT)
def _var_s(buf, base, outer, r, inner, s0, s1, s2, ovar, omean, correction, xz, nthr, min_chunk):
    # two passes: the mean (lanes of x's type, float64 totals), then squared deviations from it (float64)
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    nres = outer * inner
    part = np.empty(nch * nres)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 0, xz, 0.0, part, 0.0, part)
    means = np.empty(nres)
    _fin(0, 0, part, nch, nres, r, 0.0, means)
    for q in range(nres):
        means[q] /= r
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 5, 0, 0.0, 0.0, means, 0.0, part)
    _fin(0, 0, part, nch, nres, r, 0.0, part)
    den = max(0.0, r - correction)
    for q in range(nres):
        ovar[q] = part[q] / den
        omean[q] = means[q]


@njit(**_PJIT)
def _var_p(buf, base, outer, r, inner, s0, s1, s2, ovar, omean, correction, xz, nthr, min_chunk):
    # two passes: the mean (lanes of x's type, float64 totals), then squared deviations from it (float64)
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    nres = outer * inner
    part = np.empty(nch * nres)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 0, xz, 0.0, part, 0.0, part)
    means = np.empty(nres)
    _fin(0, 0, part, nch, nres, r, 0.0, means)
    for q in range(nres):
        means[q] /= r
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 5, 0, 0.0, 0.0, means, 0.0, part)
    _fin(0, 0, part, nch, nres, r, 0.0, part)
    den = max(0.0, r - correction)
    for q in range(nres):
        ovar[q] = part[q] / den
        omean[q] = means[q]


@njit(**_JIT)
def _lse_s(buf, base, outer, r, inner, s0, s1, s2, out, ident, nthr, min_chunk):
    # max, then sum of exp(x - max) in float64; a non-finite max is the result (nan, inf, -inf)
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    nres = outer * inner
    mx = _alloc(nch * nres, ident)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 2, ident, ident, mx, 0.0, mx)
    _fin(2, 0, mx, nch, nres, r, 0.0, mx)
    shift = np.empty(nres)
    for q in range(nres):
        m = np.float64(mx[q])
        shift[q] = m if math.isfinite(m) else 0.0
    part = np.empty(nch * nres)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 6, 0, 0.0, 0.0, shift, 0.0, part)
    _fin(0, 0, part, nch, nres, r, 0.0, part)
    for q in range(nres):
        m = np.float64(mx[q])
        out[q] = shift[q] + math.log(part[q]) if math.isfinite(m) else m


@njit(**_PJIT)
def _lse_p(buf, base, outer, r, inner, s0, s1, s2, out, ident, nthr, min_chunk):
    # max, then sum of exp(x - max) in float64; a non-finite max is the result (nan, inf, -inf)
    tiles = _use_tiles(r, inner, s1, s2)
    nch, csz, nt, ng = _plan(tiles, outer, r, inner, nthr, min_chunk)
    nres = outer * inner
    mx = _alloc(nch * nres, ident)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 0, 2, ident, ident, mx, 0.0, mx)
    _fin(2, 0, mx, nch, nres, r, 0.0, mx)
    shift = np.empty(nres)
    for q in range(nres):
        m = np.float64(mx[q])
        shift[q] = m if math.isfinite(m) else 0.0
    part = np.empty(nch * nres)
    for g in prange(ng):
        t0, t1 = _bounds(g, ng, nt)
        _run(t0, t1, tiles, nch, csz, buf, base, outer, r, inner, s0, s1, s2, 6, 0, 0.0, 0.0, shift, 0.0, part)
    _fin(0, 0, part, nch, nres, r, 0.0, part)
    for q in range(nres):
        m = np.float64(mx[q])
        out[q] = shift[q] + math.log(part[q]) if math.isfinite(m) else m


# ----------------------------------------------------------------------------------------------------------
# Python entry points
# ----------------------------------------------------------------------------------------------------------
_BOOL = np.dtype(np.bool_)
_F16 = np.dtype(np.float16)
_HALF = (_F16, np.dtype(ml_dtypes.bfloat16))  # 16-bit floats: reduced in float32
_F64 = np.dtype(np.float64)


class _Iface:
    """Carrier of an ``__array_interface__`` (used to build the spanning buffer of a strided view)."""

    __slots__ = ("__array_interface__", "base")

    def __init__(self, iface, base):
        self.__array_interface__ = iface
        self.base = base


_NATIVE = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int64, np.uint64))
_U8 = np.dtype(np.uint8)


def _prep(x, u8_ok=False):
    """Map x onto the dtypes with compiled kernels: float32, float64, int64, uint64, and (where u8_ok: sum,
    count_nonzero/any/all) uint8, which bool is viewed as. Other integers are widened to int64 (a copy;
    this keeps the number of compiled specializations down), float16 becomes float32, and non-native byte
    order native (bfloat16 too becomes float32)."""
    dt = x.dtype
    if dt in _NATIVE:
        return x
    if dt == _BOOL or dt == _U8:
        return x.view(np.uint8) if u8_ok else x.astype(np.int64)
    if not dt.isnative:
        return _prep(x.astype(dt.newbyteorder("=")), u8_ok)
    if dt in _HALF:
        return x.astype(np.float32)
    if dt.kind in "iu":
        return x.astype(np.dtype(np.uint64 if dt.kind == "u" and dt.itemsize == 8 else np.int64))
    return x


def _canon(x):
    """(buf, base, s0, s1, s2) for a non-empty 3-D x: x[o, k, j] == buf[base + o*s0 + k*s1 + j*s2].

    Guarantees s1 == 1 (rows along r contiguous) or s2 == 1 (rows along inner contiguous); other layouts
    are copied to C order first."""
    f = x.flags
    if f.c_contiguous and f.writeable:
        _, r, inner = x.shape
        return x.ravel(), 0, r * inner, inner, 1
    return _canon_strided(x)


def _canon_strided(x):
    outer, r, inner = x.shape
    isz = x.itemsize
    b0, b1, b2 = x.strides
    s0 = b0 // isz if outer > 1 else 0
    s1 = b1 // isz if r > 1 else 1
    s2 = b2 // isz if inner > 1 else 1
    if (b0 % isz or b1 % isz or b2 % isz) or not (s1 == 1 or (s2 == 1 and inner > 1)):
        x = np.ascontiguousarray(x)
        if not x.flags.writeable:  # ascontiguousarray returns read-only C-contiguous inputs unchanged
            x = x.copy()
        return x.reshape(-1), 0, r * inner, inner, 1
    lo = min(0, s0) * (outer - 1) + min(0, s1) * (r - 1) + min(0, s2) * (inner - 1)
    span = 1 + abs(s0) * (outer - 1) + abs(s1) * (r - 1) + abs(s2) * (inner - 1)
    ptr = x.__array_interface__["data"][0] + lo * isz
    # A plain writeable-typed view (the kernels only read it), so that read-only and writeable inputs share
    # one compiled specialization.
    iface = {"shape": (span,), "typestr": x.dtype.str, "data": (ptr, False), "strides": None, "version": 3}
    return np.asarray(_Iface(iface, x)), -lo, s0, s1, s2


def _flat(out):
    """Flat view of a C-contiguous output (bool outputs as uint8, sharing the uint8 specializations)."""
    if not out.flags.c_contiguous:
        raise ValueError("reduction output must be C-contiguous")
    if out.dtype is _BOOL:
        out = out.view(np.uint8)
    return out.ravel()


def _nthr(n, limit):
    """Threads to use for n elements: 1 below limit (no parallel region at all)."""
    if n < limit:
        return 1
    return numba.get_num_threads()


def _part_size(outer, r, inner, s1, s2, nthr):
    """Upper bound of nch * outer * inner for _plan (scratch of the parallel kernels)."""
    tiles = inner > 1 and s2 == 1 and (s1 != 1 or r == 1)
    units = outer * (-(-inner // _TILE)) if tiles else outer * inner
    return outer * inner * (4 * nthr if units < 4 * nthr else 1)


def _launch(ks, kp, buf, base, outer, r, inner, s0, s1, s2, of, lane0, tot0, p, limit):
    """Run the serial kernel ks, or from limit elements on (with more than one thread) the parallel kp, whose
    scratch is allocated here: NumPy's allocator gets large blocks cheaply (huge pages), numba's does not."""
    if outer * r * inner >= limit:
        nthr = numba.get_num_threads()
        if nthr > 1:
            part = np.empty(_part_size(outer, r, inner, s1, s2, nthr), type(tot0))
            kp(buf, base, outer, r, inner, s0, s1, s2, of, part, lane0, tot0, p, nthr, CHUNK_MIN)
            return
    ks(buf, base, outer, r, inner, s0, s1, s2, of, lane0, tot0, p)


def _float_input(x, out_dtype):
    """Reductions that are only defined for floats get ints/bools converted (to out's float dtype)."""
    if x.dtype.kind == "f" or x.dtype in _HALF:
        return _prep(x)
    return x.astype(out_dtype if out_dtype.kind == "f" else _F64)


def _check_dtype(dt):
    if dt.kind not in "fiu":
        raise TypeError(f"unsupported dtype for a reduction: {dt}")


_CONSTS = {}


def _consts(dt):
    """Identities for buffer dtype dt: (sum lane, sum total, prod lane, prod total, max identity, min
    identity, zero of dt)."""
    c = _CONSTS.get(dt)
    if c is None:
        _check_dtype(dt)
        if dt.kind == "f":
            c = (dt.type(0), 0.0, 1.0, 1.0, dt.type(-np.inf), dt.type(np.inf), dt.type(0))
        else:
            i0, i1 = np.int64(0), np.int64(1)
            info = np.iinfo(dt)
            c = (i0, i0, i1, i1, dt.type(info.min), dt.type(info.max), dt.type(0))
        _CONSTS[dt] = c
    return c


def _empty_error(name):
    raise ValueError(f"{name} of an empty reduction has no identity")


@njit(cache=True, error_model="numpy", nogil=True)
def sum_small_into(x, out):
    """out[0] = sum of a small 1-d contiguous float array, accumulated in float64 (exact enough at this size).
    The path of whole-tensor sums of a few thousand elements, where sum_into's set-up would dominate."""
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
    out[0] = acc


@njit(cache=True, error_model="numpy", nogil=True)
def sum_small_dim_into(x, out):
    """out[o, j] = sum_k x[o, k, j] for a small C-contiguous float (outer, r, inner) array, accumulated in float64:
    the path of small sums along one dim (a bias gradient), where sum_into's set-up would dominate."""
    outer, r, inner = x.shape
    acc = np.empty(inner, np.float64)
    for o in range(outer):
        for j in range(inner):
            acc[j] = 0.0
        for k in range(r):
            for j in range(inner):
                acc[j] += x[o, k, j]
        for j in range(inner):
            out[o, j] = acc[j]


def sum_into(x, out):
    """out[o, j] = sum_k x[o, k, j]. Floats: float32 lanes / float64 totals; ints and bool: int64."""
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    if r == 0:
        out.fill(0)
        return out
    buf, base, s0, s1, s2 = _canon(_prep(x, True))
    c = _consts(buf.dtype)
    _launch(_sum_s, _sum_p, buf, base, outer, r, inner, s0, s1, s2, _flat(out), c[0], c[1], 0.0, PAR_MIN)
    return out


def prod_into(x, out):
    """out[o, j] = prod_k x[o, k, j], accumulated in float64 (floats) or int64 (ints, wrapping)."""
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    if r == 0:
        out.fill(1)
        return out
    buf, base, s0, s1, s2 = _canon(_prep(x))
    c = _consts(buf.dtype)
    _launch(_prod_s, _prod_p, buf, base, outer, r, inner, s0, s1, s2, _flat(out), c[2], c[3], 0.0, PAR_MIN)
    return out


def _extreme(ks, kp, x, out, which, name):
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    if r == 0:
        _empty_error(name)
    buf, base, s0, s1, s2 = _canon(_prep(x))
    ident = _consts(buf.dtype)[which]
    of = _flat(out)
    tmp = of if of.dtype == buf.dtype else np.empty(of.size, buf.dtype)  # widened input: via a buffer
    _launch(ks, kp, buf, base, outer, r, inner, s0, s1, s2, tmp, ident, ident, 0.0, PAR_MIN)
    if tmp is not of:
        np.copyto(of, tmp, casting="unsafe")
    return out


def max_into(x, out):
    """out[o, j] = max_k x[o, k, j]; NaN propagates."""
    return _extreme(_max_s, _max_p, x, out, 4, "max")


def min_into(x, out):
    """out[o, j] = min_k x[o, k, j]; NaN propagates."""
    return _extreme(_min_s, _min_p, x, out, 5, "min")


def _arg_into(x, out_vals, out_idx, is_max, name):
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return
    if r == 0:
        _empty_error(name)
    buf, base, s0, s1, s2 = _canon(_prep(x))
    fv = None if out_vals is None else _flat(out_vals)
    ov = fv if fv is not None and fv.dtype == buf.dtype else np.empty(outer * inner, buf.dtype)
    ident = _consts(buf.dtype)[4 if is_max else 5]
    oi = _flat(out_idx)
    nthr = _nthr(outer * r * inner, PAR_MIN)
    if nthr > 1:
        size = _part_size(outer, r, inner, s1, s2, nthr)
        pv, pi = np.empty(size, buf.dtype), np.empty(size, np.int64)
        k = _argmax_p if is_max else _argmin_p
        k(buf, base, outer, r, inner, s0, s1, s2, ov, oi, pv, pi, ident, nthr, CHUNK_MIN)
    else:
        (_argmax_s if is_max else _argmin_s)(buf, base, outer, r, inner, s0, s1, s2, ov, oi, ident)
    if fv is not None and ov is not fv:  # x was widened (or out_vals has another dtype)
        np.copyto(fv, ov, casting="unsafe")


def argmax_into(x, out_idx):
    """out_idx[o, j] = first k of the max of x[o, :, j] (of the first NaN if any). out_idx: int64."""
    _arg_into(x, None, out_idx, True, "argmax")
    return out_idx


def argmin_into(x, out_idx):
    """out_idx[o, j] = first k of the min of x[o, :, j] (of the first NaN if any). out_idx: int64."""
    _arg_into(x, None, out_idx, False, "argmin")
    return out_idx


def max_with_indices_into(x, out_vals, out_idx):
    """Values and indices of the max in one pass (torch.max(x, dim))."""
    _arg_into(x, out_vals, out_idx, True, "max")
    return out_vals, out_idx


def min_with_indices_into(x, out_vals, out_idx):
    """Values and indices of the min in one pass (torch.min(x, dim))."""
    _arg_into(x, out_vals, out_idx, False, "min")
    return out_vals, out_idx


def var_mean_into(x, out_var, out_mean, correction=1.0):
    """Variance (sum of squared deviations / max(0, r - correction)) and mean; two-pass (the mean, then
    squared deviations from it) with float64 totals."""
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out_var, out_mean
    correction = float(correction)
    if r == 0:
        out_var.fill(np.nan)
        if out_mean is not None:
            out_mean.fill(np.nan)
        return out_var, out_mean
    buf, base, s0, s1, s2 = _canon(_float_input(x, out_var.dtype))
    om = np.empty(outer * inner, out_var.dtype) if out_mean is None else _flat(out_mean)
    n = outer * r * inner
    lim = PAR_MIN // 2
    nthr = _nthr(n, lim)
    k = _var_p if nthr > 1 else _var_s
    k(buf, base, outer, r, inner, s0, s1, s2, _flat(out_var), om, correction, buf.dtype.type(0), nthr, CHUNK_MIN)
    return out_var, out_mean


def var_into(x, out, correction=1.0):
    """Variance over axis 1 with divisor max(0, r - correction) (0/0 -> nan, s/0 -> inf)."""
    var_mean_into(x, out, None, correction)
    return out


def logsumexp_into(x, out):
    """out = log(sum(exp(x))) over axis 1, max-shifted; all -inf -> -inf, inf -> inf, NaN propagates."""
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    if r == 0:
        out.fill(-np.inf)
        return out
    buf, base, s0, s1, s2 = _canon(_float_input(x, out.dtype))
    n = outer * r * inner
    nthr = _nthr(n, PAR_MIN_HEAVY)
    k = _lse_p if nthr > 1 else _lse_s
    k(buf, base, outer, r, inner, s0, s1, s2, _flat(out), _consts(buf.dtype)[4], nthr,
      CHUNK_MIN)
    return out


def norm_into(x, out, p=2.0):
    """Vector p-norm over axis 1: p = inf (max |x|), -inf (min |x|), 0 (count of nonzeros), 1, 2, or any
    other float: (sum |x|^p)^(1/p). Float32 input accumulates in float64 (p = 1: float32 blocks)."""
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    p = float(p)
    if r == 0:
        out.fill(np.inf if p < 0 else 0.0)
        return out
    buf, base, s0, s1, s2 = _canon(_float_input(x, out.dtype))
    ks, kp, lane0, tot0, lim = _norm_kernels(p, _consts(buf.dtype))
    _launch(ks, kp, buf, base, outer, r, inner, s0, s1, s2, _flat(out), lane0, tot0, p, lim)
    return out


def _norm_kernels(p, c):
    """(serial kernel, parallel kernel, lane0, tot0, parallel threshold) of the p-norm; c: _consts of the buffer."""
    if p == 2.0:
        return _norm2_s, _norm2_p, 0.0, 0.0, PAR_MIN
    if p == 1.0:
        return _asum_s, _asum_p, c[0], c[1], PAR_MIN
    if p == np.inf:
        return _amax_s, _amax_p, c[6], c[6], PAR_MIN
    if p == -np.inf:
        return _amin_s, _amin_p, c[5], c[5], PAR_MIN
    if p == 0.0:
        return _cnt_s, _cnt_p, np.int32(0), np.int64(0), PAR_MIN
    return _normp_s, _normp_p, 0.0, 0.0, PAR_MIN_HEAVY


def _count(x, out, mode):
    outer, r, inner = x.shape
    if outer == 0 or inner == 0:
        return out
    if r == 0:
        out.fill(mode == 2.0)
        return out
    buf, base, s0, s1, s2 = _canon(_prep(x, True))
    _check_dtype(buf.dtype)
    _launch(_cnt_s, _cnt_p, buf, base, outer, r, inner, s0, s1, s2, _flat(out), np.int32(0), np.int64(0), mode,
            PAR_MIN)
    return out


def count_nonzero_into(x, out):
    """out[o, j] = number of nonzero x[o, :, j] (NaN counts as nonzero). out: int64."""
    return _count(x, out, 0.0)


def any_into(x, out):
    """out[o, j] = any x[o, :, j] != 0. out: bool."""
    return _count(x, out, 1.0)


def all_into(x, out):
    """out[o, j] = all x[o, :, j] != 0. out: bool."""
    return _count(x, out, 2.0)


# ----------------------------------------------------------------------------------------------------------
# Contiguous entries: small C-contiguous inputs (ops/reduction.py's fast path) call the serial kernel directly
# ----------------------------------------------------------------------------------------------------------
_I64 = np.dtype(np.int64)
SMALL_MAX = 1 << 16  # elements up to which the contiguous entries serve (far below PAR_MIN: always serial)


def _plain_c(e, buf, outer, r, inner, out, _):
    e[1](buf, 0, outer, r, inner, r * inner, inner, 1, out, e[2], e[3], e[4])


def _cnt_c(e, buf, outer, r, inner, out, _):
    e[1](buf, 0, outer, r, inner, r * inner, inner, 1, out.view(_U8), e[2], e[3], e[4])


def _arg_c(e, buf, outer, r, inner, oi, ov):
    # (one output: ov is always None; e[1] makes the values scratch itself)
    e[1](buf, 0, outer, r, inner, r * inner, inner, 1, oi, e[2])


@njit(**_JIT)
def _argmax_sc(buf, base, outer, r, inner, s0, s1, s2, oi, ident):
    # _argmax_s with its values scratch made in compiled code: cheaper than a NumPy allocation from Python
    _argmax_s(buf, base, outer, r, inner, s0, s1, s2, np.empty(outer * inner, buf.dtype), oi, ident)


@njit(**_JIT)
def _argmin_sc(buf, base, outer, r, inner, s0, s1, s2, oi, ident):
    _argmin_s(buf, base, outer, r, inner, s0, s1, s2, np.empty(outer * inner, buf.dtype), oi, ident)


def _vals_idx_c(e, buf, outer, r, inner, ov, oi):
    e[1](buf, 0, outer, r, inner, r * inner, inner, 1, ov, oi, e[2])


def _var_c(e, buf, outer, r, inner, ovar, omean):
    _var_s(buf, 0, outer, r, inner, r * inner, inner, 1, ovar, np.empty(outer * inner, ovar.dtype)
           if omean is None else omean, e[2], e[3], 1, CHUNK_MIN)


def contig_entry(into, in_dt, out_dts, p=0.0):
    """How to run the entry point `into` on a C-contiguous, writeable, non-empty input of NumPy dtype in_dt with
    fewer than SMALL_MAX elements into fresh flat outputs of NumPy dtypes out_dts: a tuple e whose e[0](e, buf,
    outer, r, inner, out0, out1) makes the very kernel call `into` makes for that input (buf: its flat view, as
    uint8 when e[5]; out1 None for a one-output entry), without the layout and dtype handling; None where `into`
    converts such an input or an output (then the general path runs)."""
    u8 = in_dt == _BOOL
    native = in_dt in _NATIVE
    buf_dt = _U8 if u8 else in_dt
    if u8 and into not in (sum_into, count_nonzero_into, any_into, all_into) or not (u8 or native) \
            or any(d in _HALF for d in out_dts):  # half outputs: computed in float32, rounded by the caller
        return None
    c = _consts(buf_dt)
    view = _U8 if u8 else None
    if into is sum_into:
        return (_plain_c, _sum_s, c[0], c[1], 0.0, view)
    if into is prod_into:
        return (_plain_c, _prod_s, c[2], c[3], 0.0, view)
    if into in (max_into, min_into) and out_dts[0] == buf_dt:
        ident = c[4 if into is max_into else 5]
        return (_plain_c, _max_s if into is max_into else _min_s, ident, ident, 0.0, view)
    if into in (count_nonzero_into, any_into, all_into):
        mode = 0.0 if into is count_nonzero_into else 1.0 if into is any_into else 2.0
        return (_cnt_c if out_dts[0] == _BOOL else _plain_c, _cnt_s, np.int32(0), np.int64(0), mode, view)
    if into in (argmax_into, argmin_into) and out_dts[0] == _I64:
        is_max = into is argmax_into
        return (_arg_c, _argmax_sc if is_max else _argmin_sc, c[4 if is_max else 5], None, None, view)
    if into in (max_with_indices_into, min_with_indices_into) and out_dts[0] == buf_dt and out_dts[1] == _I64:
        is_max = into is max_with_indices_into
        return (_vals_idx_c, _argmax_s if is_max else _argmin_s, c[4 if is_max else 5], None, None, view)
    if buf_dt.kind != "f":
        return None
    if into in (var_into, var_mean_into):
        return (_var_c, _var_s, float(p), buf_dt.type(0), None, view)
    if into is norm_into:
        ks, _, lane0, tot0, _ = _norm_kernels(float(p), c)
        return (_plain_c, ks, lane0, tot0, float(p), view)
    return None
