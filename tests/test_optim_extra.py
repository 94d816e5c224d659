"""Rprop, ASGD, Adafactor, Muon, LBFGS and swa_utils against NumPy re-implementations of torch 2.13's update rules
(torch/optim/*.py, single-tensor paths), in float32 and float64."""

import math

import numpy as np
import pytest

import ntorch
from ntorch import nn, optim
from ntorch.optim import swa_utils

SHAPES = [(4, 3), (5,), (2, 3, 4)]
F32 = np.float32


# -- NumPy references: ref(p, g, s, hp) updates p (an array of the parameter's dtype) in place; s is a dict --------
def ref_rprop(p, g, s, hp):
    """Rprop: per-element step sizes grow by etaplus while the gradient keeps its sign and shrink by etaminus when
    it flips (that element then skips the step and forgets its sign)."""
    dt = p.dtype.type
    lr, (etaminus, etaplus), (smin, smax) = hp.get("lr", 1e-2), hp.get("etas", (0.5, 1.2)), \
        hp.get("step_sizes", (1e-6, 50))
    g = -g if hp.get("maximize") else g
    prev = s.setdefault("prev", np.zeros_like(p))
    size = s.setdefault("step_size", np.full_like(p, lr))
    prod = g * prev
    factor = np.where(prod > 0, dt(etaplus), np.where(prod < 0, dt(etaminus), dt(1))).astype(p.dtype)
    s["step_size"] = np.clip(size * factor, dt(smin), dt(smax)).astype(p.dtype)
    g = np.where(prod < 0, dt(0), g).astype(p.dtype)
    p -= np.sign(g) * s["step_size"]
    s["prev"] = g


def ref_asgd(p, g, s, hp):
    """ASGD: p <- p (1 - lambd eta) - eta g; ax averages the iterates once step > t0; eta and mu are float32 0-d
    tensors in torch (their values are rounded to float32)."""
    lr, lambd, alpha, t0, wd = hp.get("lr", 1e-2), hp.get("lambd", 1e-4), hp.get("alpha", 0.75), \
        hp.get("t0", 1e6), hp.get("weight_decay", 0)
    g = -g if hp.get("maximize") else g
    eta, mu = s.setdefault("eta", float(F32(lr))), s.setdefault("mu", 1.0)
    s.setdefault("ax", np.zeros_like(p))
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        g = g + wd * p
    p *= 1 - lambd * eta
    p -= eta * g
    s["ax"] = s["ax"] + (p - s["ax"]) * mu if mu != 1 else p.copy()
    s["eta"] = float(F32(lr / (1 + lambd * lr * t) ** alpha))
    s["mu"] = float(F32(1 / max(1, t - t0)))


def ref_adafactor(p, g, s, hp):
    """Adafactor (torch's variant): row/column mean squares for >= 2-d, a full EMA for vectors; relative step
    min(lr, 1/sqrt(t)) scaled by max(eps2, RMS(p)); the update's RMS clipped at d; decoupled decay lr * wd."""
    lr, beta2_decay, (eps1, eps2), d, wd = hp.get("lr", 1e-2), hp.get("beta2_decay", -0.8), \
        hp.get("eps", (None, 1e-3)), hp.get("d", 1.0), hp.get("weight_decay", 0.0)
    g = -g if hp.get("maximize") else g
    eps1 = np.finfo(p.dtype).eps if eps1 is None else eps1
    s["t"] = t = s.get("t", 0) + 1
    w = t**beta2_decay
    alpha = max(eps2, math.sqrt(np.mean(p.astype(np.float64) ** 2))) * min(lr, 1 / math.sqrt(t))
    if wd:
        p *= 1 - lr * wd
    if g.ndim > 1:
        row = s.get("row", np.zeros(g.shape[:-1] + (1,), p.dtype))
        col = s.get("col", np.zeros(g.shape[:-2] + (1, g.shape[-1]), p.dtype))
        s["row"] = row = row + w * ((g * g).mean(-1, keepdims=True) - row)
        s["col"] = col = col + w * ((g * g).mean(-2, keepdims=True) - col)
        var = row @ col / np.maximum(row.mean(-2, keepdims=True), eps1)
    else:
        var = s.get("var", np.zeros_like(g))
        s["var"] = var = var + w * (g * g - var)
    u = g / np.sqrt(np.maximum(var, eps1 * eps1))
    denom = max(1.0, math.sqrt(np.mean(u.astype(np.float64) ** 2)) / d)
    p -= (alpha / denom * u).astype(p.dtype)


def ref_newton_schulz(m, coefficients=(3.4445, -4.7750, 2.0315), steps=5, eps=1e-7):
    """The quintic Newton-Schulz orthogonalization in float32 (ntorch's precision for it; torch's is bfloat16)."""
    a, b, c = coefficients
    x = m.astype(F32)
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / max(F32(np.linalg.norm(x)), F32(eps))
    for _ in range(steps):
        gram = x @ x.T
        x = F32(a) * x + (F32(b) * gram + F32(c) * (gram @ gram)) @ x
    return x.T if tall else x


def ref_muon(p, g, s, hp):
    lr, wd, mom = hp.get("lr", 1e-3), hp.get("weight_decay", 0.1), hp.get("momentum", 0.95)
    buf = s.get("buf", np.zeros_like(p))
    s["buf"] = buf = buf + (1 - mom) * (g - buf)
    update = g + mom * (buf - g) if hp.get("nesterov", True) else buf
    o = ref_newton_schulz(update, hp.get("ns_coefficients", (3.4445, -4.7750, 2.0315)), hp.get("ns_steps", 5))
    rows, cols = p.shape
    fn = hp.get("adjust_lr_fn")
    ratio = math.sqrt(max(1, rows / cols)) if fn in (None, "original") else 0.2 * math.sqrt(max(rows, cols))
    p *= 1 - lr * wd
    p -= (lr * ratio) * o


CASES = [
    (optim.Rprop, ref_rprop, dict(), SHAPES),
    (optim.Rprop, ref_rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.08), maximize=True), SHAPES),
    (optim.ASGD, ref_asgd, dict(lr=0.05), SHAPES),
    (optim.ASGD, ref_asgd, dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1), SHAPES),
    (optim.ASGD, ref_asgd, dict(lr=0.02, t0=0, maximize=True), SHAPES),
    (optim.Adafactor, ref_adafactor, dict(), SHAPES),
    (optim.Adafactor, ref_adafactor, dict(lr=0.5), SHAPES),  # rho_t = 1/sqrt(t) until t = 4, then lr
    (optim.Adafactor, ref_adafactor, dict(lr=0.05, beta2_decay=-0.5, eps=(1e-3, 1e-2), d=1.5, weight_decay=0.1,
                                          maximize=True), SHAPES),
    (optim.Muon, ref_muon, dict(lr=0.05), [(4, 3), (3, 5)]),
    (optim.Muon, ref_muon, dict(lr=0.05, momentum=0.5, nesterov=False, weight_decay=0.0,
                                adjust_lr_fn="match_rms_adamw"), [(4, 3), (3, 5)]),
    (optim.Muon, ref_muon, dict(lr=0.02, ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5)), [(5, 2)]),
]
STATE_KEYS = {optim.Rprop: {"step_size": "step_size", "prev": "prev"}, optim.ASGD: {"ax": "ax"},
              optim.Adafactor: {"row_var": "row", "col_var": "col", "variance": "var"},
              optim.Muon: {"momentum_buffer": "buf"}}


def _ids(case):
    return case[0].__name__ + "-" + "-".join(f"{k}={v}" for k, v in case[2].items())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_reference(case, dtype, rng):
    """Six steps over parameters of several shapes: parameters and state follow the NumPy reference; the
    parameters stay the same tensors over the same memory, of their dtype."""
    cls, ref, hp, shapes = case
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    params = [ntorch.tensor(a, requires_grad=True) for a in init]
    ptrs = [p.data_ptr() for p in params]
    opt = cls(params, **hp)
    ref_p, ref_s = [a.copy() for a in init], [{} for _ in init]
    # Muon's update comes from float32 Newton-Schulz (matmul order differs): float32 accuracy in both dtypes
    tol = dict(rtol=2e-5, atol=2e-6) if dtype is np.float32 or cls is optim.Muon else dict(rtol=1e-10, atol=1e-13)
    for _ in range(6):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = ntorch.tensor(g)
        opt.step()
        for rp, rs, g in zip(ref_p, ref_s, grads):
            ref(rp, g, rs, hp)
        for p, rp in zip(params, ref_p):
            assert p.dtype is getattr(ntorch, np.dtype(dtype).name)
            np.testing.assert_allclose(p.detach().numpy(), rp, **tol)
    for p, rs in zip(params, ref_s):
        for key, ref_key in STATE_KEYS[cls].items():
            if key in opt.state[p]:
                np.testing.assert_allclose(opt.state[p][key].numpy(), rs[ref_key], **tol, err_msg=key)
    assert [p.data_ptr() for p in params] == ptrs and all(p.is_leaf and p.requires_grad for p in params)


def test_rprop_sign_flip_and_clamp():
    """Hand-checked Rprop elements: same sign grows the step (clamped at the max), a flip shrinks it (clamped at
    the min) and skips the move, a zero product keeps it."""
    p = ntorch.tensor([0.0, 0.0, 0.0], requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.06, 0.15))
    p.grad = ntorch.tensor([1.0, 1.0, 0.0])
    opt.step()  # prev = 0: factor 1, steps -0.1, -0.1, 0
    np.testing.assert_allclose(p.detach().numpy(), [-0.1, -0.1, 0.0])
    p.grad = ntorch.tensor([1.0, -1.0, 1.0])
    opt.step()  # grows to min(0.2, 0.15); flips to max(0.05, 0.06) with no move; zero product: 0.1
    np.testing.assert_allclose(p.detach().numpy(), [-0.25, -0.1, -0.1])
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.15, 0.06, 0.1])
    np.testing.assert_array_equal(opt.state[p]["prev"].numpy(), [1.0, 0.0, 1.0])
    assert opt.state[p]["step"].item() == 2.0


def test_asgd_state_layout():
    """eta and mu are 0-d default-dtype tensors (torch's), step a float32 counter."""
    p = ntorch.zeros(3, dtype=ntorch.float64, requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, t0=1)
    for _ in range(3):
        p.grad = ntorch.ones(3, dtype=ntorch.float64)
        opt.step()
    st = opt.state[p]
    assert list(st) == ["step", "eta", "mu", "ax"]
    assert st["eta"].dtype is ntorch.float32 and st["eta"].ndim == 0 and st["mu"].item() == 0.5
    assert st["eta"].item() == float(F32(0.1 / (1 + 1e-4 * 0.1 * 3) ** 0.75))


def test_adafactor_state_shapes_and_eps1():
    """Factored state for >= 2-d (row: last dim 1, column: second-to-last 1), a full variance for vectors and
    scalars; eps1=None takes the dtype's machine epsilon."""
    a, b, c = (ntorch.ones(*s, requires_grad=True) for s in [(2, 3, 4), (5,), ()])
    opt = optim.Adafactor([a, b, c])
    for t in (a, b, c):
        t.grad = ntorch.ones(*t.shape)
    opt.step()
    assert tuple(opt.state[a]["row_var"].shape) == (2, 3, 1) and tuple(opt.state[a]["col_var"].shape) == (2, 1, 4)
    assert set(opt.state[b]) == {"step", "variance"} and tuple(opt.state[c]["variance"].shape) == ()
    # all-ones gradients: var estimate 1, update 1, RMS 1; alpha = max(1e-3, RMS(p) = 1) * min(lr, 1) = 1e-2
    np.testing.assert_allclose(a.detach().numpy(), np.full((2, 3, 4), 0.99), rtol=1e-6)
    np.testing.assert_allclose(c.item(), 0.99, rtol=1e-6)


def test_muon_orthogonalizes():
    """The Newton-Schulz output has singular values near 1 (torch's coefficients leave them in about (0.5, 1.5))
    and the singular vectors of the input."""
    rng = np.random.default_rng(1)
    g = rng.standard_normal((6, 4))
    p = ntorch.zeros(6, 4, dtype=ntorch.float64, requires_grad=True)
    opt = optim.Muon([p], lr=1.0, weight_decay=0.0, momentum=0.0, nesterov=False)
    p.grad = ntorch.tensor(g)
    opt.step()
    o = -p.detach().numpy() / math.sqrt(6 / 4)
    sv = np.linalg.svd(o, compute_uv=False)
    assert np.all((sv > 0.5) & (sv < 1.5)), sv
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    np.testing.assert_allclose(u.T @ o @ vt.T, np.diag(np.diag(u.T @ o @ vt.T)), atol=1e-4)


# -- state_dict round trips ---------------------------------------------------------------------------------------
def _clone_state(sd):
    def clone(v):
        if isinstance(v, ntorch.Tensor):
            return v.clone()
        if isinstance(v, list):
            return [clone(x) for x in v]
        return v

    return {"state": {k: {n: clone(v) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("cls, hp, shapes", [(optim.Rprop, dict(lr=0.05), SHAPES),
                                             (optim.ASGD, dict(lr=0.05, t0=1), SHAPES),
                                             (optim.Adafactor, dict(weight_decay=0.1), SHAPES),
                                             (optim.Muon, dict(lr=0.05), [(4, 3), (3, 5)])])
def test_state_dict_round_trip_continues_identically(cls, hp, shapes, rng):
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(6)]
    a = [ntorch.tensor(x, requires_grad=True) for x in init]
    opt_a = cls(a, **hp)
    for gs in grads[:3]:
        for p, g in zip(a, gs):
            p.grad = ntorch.tensor(g)
        opt_a.step()
    saved = _clone_state(opt_a.state_dict())
    b = [ntorch.tensor(p.detach().numpy(), requires_grad=True) for p in a]
    opt_b = cls(b, lr=0.5)
    opt_b.load_state_dict(saved)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"] and opt_b.param_groups[0]["params"][0] is b[0]
    for gs in grads[3:]:
        for pa, pb, g in zip(a, b, gs):
            pa.grad, pb.grad = ntorch.tensor(g), ntorch.tensor(g)
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    if cls is optim.ASGD:  # torch's load casts eta and mu to the parameter's dtype; their values stay float32's
        assert opt_b.state[b[0]]["eta"].dtype is ntorch.float64 and opt_a.state[a[0]]["eta"].dtype is ntorch.float32
        assert opt_b.state[b[0]]["eta"].item() == opt_a.state[a[0]]["eta"].item()


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.Rprop, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.Rprop, dict(etas=(1.0, 1.2)), "Invalid eta values: 1.0, 1.2"),
    (optim.Rprop, dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    (optim.ASGD, dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (optim.ASGD, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.Adafactor, dict(lr=-1), "Learning rate should be >= 0 but is: -1"),
    (optim.Adafactor, dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (optim.Adafactor, dict(eps=(-1, 1e-3)), "epsilon1 should be >= 0 but is: -1"),
    (optim.Adafactor, dict(eps=(None, -1)), "epsilon2 should be >= 0 but is: -1"),
    (optim.Adafactor, dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (optim.Adafactor, dict(weight_decay=-1), "weight_decay should be >= 0 but is: -1"),
    (optim.Muon, dict(lr=-1), "Learning rate should be >= 0 but is: -1"),
    (optim.Muon, dict(momentum=-1), "momentum should be >= 0 but is: -1"),
    (optim.Muon, dict(weight_decay=-1), "weight decay should be >= 0 but is: -1"),
    (optim.Muon, dict(adjust_lr_fn="x"), "Adjust learning rate function x is not supported"),
    (optim.LBFGS, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.Rprop, dict(lr=ntorch.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
    (optim.Adafactor, dict(lr=ntorch.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
])
def test_argument_checks(cls, kwargs, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        cls([ntorch.zeros(2, 2, requires_grad=True)], **kwargs)


def test_muon_errors():
    with pytest.raises(ValueError, match=r"^Muon only supports 2D parameters whereas we found a parameter with size: "
                                         r".*Size\(\[3\]\)$"):
        optim.Muon([ntorch.zeros(3, requires_grad=True)])
    p = ntorch.zeros(2, 2, requires_grad=True)
    p.grad = ntorch.ones(2, 2)
    with pytest.raises(ValueError, match="^Number of steps must be less than 100 for computational efficiency$"):
        optim.Muon([p], ns_steps=100).step()
    with pytest.raises(ValueError, match="^Coefficients must be a tuple of exactly 3 values$"):
        optim.Muon([p], ns_coefficients=(1.0, 2.0)).step()


def test_flags_accepted_and_tensor_lr(rng):
    """foreach / differentiable / capturable are accepted and stored as torch's; a 0-d tensor lr works."""
    p = ntorch.zeros(3, requires_grad=True)
    for cls, flags in [(optim.Rprop, dict(foreach=True, differentiable=False, capturable=False)),
                       (optim.ASGD, dict(foreach=False, capturable=False)), (optim.Adafactor, dict(foreach=False))]:
        opt = cls([p], lr=ntorch.tensor(0.01), **flags)
        assert all(opt.param_groups[0][k] == v for k, v in flags.items())
        p.grad = ntorch.ones(3)
        opt.step()
    assert np.all(p.detach().numpy() < 0)


# -- LBFGS ---------------------------------------------------------------------------------------------------------
def _quadratic(seed=0, n=7):
    r = np.random.default_rng(seed)
    m = r.standard_normal((n, n))
    return m @ m.T + n * np.eye(n), r.standard_normal(n)


def _rosenbrock(z):
    x, y = z
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def _np_cubic(x1, f1, g1, x2, f2, g2, bounds=None):
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


def _np_strong_wolfe(fg, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tol=1e-9, max_ls=25):
    """The Moré-Thuente-style bracketing / zoom of torch's lswolfe port, in NumPy float64."""
    d_norm = np.abs(d).max()
    f_new, g_new = fg(x + t * d)
    evals, gtd_new = 1, g_new @ d
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, it = False, 0
    br = brf = brg = brd = None
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            br, brf, brg, brd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            br, brf, brg, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            br, brf, brg, brd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        t_next = _np_cubic(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev, t = t, f_new, g_new, gtd_new, t_next
        f_new, g_new = fg(x + t * d)
        evals, gtd_new, it = evals + 1, g_new @ d, it + 1
    if it == max_ls:
        br, brf, brg = [0, t], [f, f_new], [g, g_new]
    insuf = False
    lo, hi = (0, 1) if brf[0] <= brf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(br[1] - br[0]) * d_norm < tol:
            break
        t = _np_cubic(br[0], brf[0], brd[0], br[1], brf[1], brd[1])
        eps = 0.1 * (max(br) - min(br))
        if min(max(br) - t, t - min(br)) < eps:
            if insuf or t >= max(br) or t <= min(br):
                t = max(br) - eps if abs(t - max(br)) < abs(t - min(br)) else min(br) + eps
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        f_new, g_new = fg(x + t * d)
        evals, gtd_new, it = evals + 1, g_new @ d, it + 1
        if f_new > f + c1 * t * gtd or f_new >= brf[lo]:
            br[hi], brf[hi], brg[hi], brd[hi] = t, f_new, g_new, gtd_new
            lo, hi = (0, 1) if brf[0] <= brf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br[hi] - br[lo]) >= 0:
                br[hi], brf[hi], brg[hi], brd[hi] = br[lo], brf[lo], brg[lo], brd[lo]
            br[lo], brf[lo], brg[lo], brd[lo] = t, f_new, g_new, gtd_new
    return brf[lo], brg[lo], br[lo], evals


class NumpyLBFGS:
    """L-BFGS as torch 2.13 runs it (two-loop recursion, curvature pairs kept when y.s > 1e-10, the first step
    min(1, 1/|g|_1) * lr, torch's stopping rules), over a flat float64 vector."""

    def __init__(self, x, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        self.x, self.lr, self.max_iter = np.array(x, dtype=np.float64), lr, max_iter
        self.max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        self.tol_grad, self.tol_change, self.m, self.ls = tolerance_grad, tolerance_change, history_size, line_search_fn
        self.n_iter, self.func_evals = 0, 0
        self.d = self.t = self.prev_g = None
        self.dirs, self.stps, self.ro, self.h = [], [], [], 1.0

    def step(self, fg):
        loss, g = fg(self.x)
        orig, evals = loss, 1
        self.func_evals += 1
        if np.abs(g).max() <= self.tol_grad:
            return orig
        n = 0
        while n < self.max_iter:
            n += 1
            self.n_iter += 1
            if self.n_iter == 1:
                d, self.dirs, self.stps, self.ro, self.h = -g, [], [], [], 1.0
            else:
                y, s = g - self.prev_g, self.d * self.t
                ys = y @ s
                if ys > 1e-10:
                    if len(self.dirs) == self.m:
                        self.dirs.pop(0), self.stps.pop(0), self.ro.pop(0)
                    self.dirs.append(y), self.stps.append(s), self.ro.append(1.0 / ys)
                    self.h = ys / (y @ y)
                q, al = -g, [0.0] * len(self.dirs)
                for i in range(len(self.dirs) - 1, -1, -1):
                    al[i] = (self.stps[i] @ q) * self.ro[i]
                    q = q - al[i] * self.dirs[i]
                d = q * self.h
                for i in range(len(self.dirs)):
                    d = d + (al[i] - (self.dirs[i] @ d) * self.ro[i]) * self.stps[i]
            self.d, self.prev_g, prev_loss = d, g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * self.lr if self.n_iter == 1 else self.lr
            gtd = g @ d
            if gtd > -self.tol_change:
                self.t = t
                break
            ls_evals = 0
            if self.ls == "strong_wolfe":
                loss, g, t, ls_evals = _np_strong_wolfe(fg, self.x, t, d, loss, g, gtd,
                                                        max_ls=self.max_eval - evals)
                self.x = self.x + t * d
                opt_cond = np.abs(g).max() <= self.tol_grad
            else:
                self.x = self.x + t * d
                opt_cond = False
                if n != self.max_iter:
                    loss, g = fg(self.x)
                    opt_cond, ls_evals = np.abs(g).max() <= self.tol_grad, 1
            self.t = t
            evals += ls_evals
            self.func_evals += ls_evals
            if n == self.max_iter or evals >= self.max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= self.tol_change or abs(loss - prev_loss) < self.tol_change:
                break
        return orig


def _nt_quadratic(a, b, dtype):
    """Parameters (2, 2) and (3,), flattened into z: f = z.A.z / 2 - b.z (several parameters, one flat vector)."""
    a_t, b_t = ntorch.tensor(a, dtype=dtype), ntorch.tensor(b, dtype=dtype)
    ps = [ntorch.zeros(2, 2, dtype=dtype, requires_grad=True), ntorch.zeros(3, dtype=dtype, requires_grad=True)]

    def f():
        z = ntorch.cat([ps[0].reshape(-1), ps[1]])
        return 0.5 * (z @ (a_t @ z)) - (b_t * z).sum()

    return ps, f


def _closure(opt, f, counter=None):
    def closure():
        if counter is not None:
            counter.append(1)
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", [ntorch.float32, ntorch.float64], ids=["float32", "float64"])
def test_lbfgs_converges_on_a_quadratic(line_search_fn, dtype):
    a, b = _quadratic(n=7)
    ps, f = _nt_quadratic(a, b, dtype)
    tight = dict(tolerance_grad=1e-12, tolerance_change=1e-15) if dtype is ntorch.float64 else {}
    opt = optim.LBFGS(ps, max_iter=50, line_search_fn=line_search_fn, **tight)
    for _ in range(3):
        opt.step(_closure(opt, f))
    z = np.concatenate([ps[0].detach().numpy().reshape(-1), ps[1].detach().numpy()])
    tol = 1e-4 if dtype is ntorch.float32 else 1e-7  # torch's fixed step stops 8e-9 away here too
    np.testing.assert_allclose(z, np.linalg.solve(a, b), atol=tol)
    assert ps[0].dtype is dtype


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", [ntorch.float32, ntorch.float64], ids=["float32", "float64"])
def test_lbfgs_converges_on_rosenbrock(line_search_fn, dtype):
    x = ntorch.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)
    opt = optim.LBFGS([x], lr=1.0, max_iter=100, line_search_fn=line_search_fn)

    def f():
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    losses = [opt.step(_closure(opt, f)).item() for _ in range(5)]
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-4)
    assert losses[0] == pytest.approx(2.5**2 + 100 * 0.25**2) and losses[-1] < 1e-9


@pytest.mark.parametrize("line_search_fn, kwargs", [
    (None, dict(lr=0.5, max_iter=3, history_size=2)),
    (None, dict(lr=1.0, max_iter=1, history_size=4)),
    ("strong_wolfe", dict(max_iter=2, history_size=3)),
    ("strong_wolfe", dict(max_iter=1, max_eval=4, history_size=100)),
])
def test_lbfgs_matches_numpy_step_by_step(line_search_fn, kwargs):
    """Rosenbrock (2 steps) and the quadratic (several parameters): the iterates and the evaluation counts of the
    NumPy L-BFGS after each step() call, float64."""
    x = ntorch.tensor([-1.2, 1.0], dtype=ntorch.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn, **kwargs)
    ref = NumpyLBFGS([-1.2, 1.0], line_search_fn=line_search_fn, **kwargs)
    calls = []
    closure = _closure(opt, lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2, calls)
    for _ in range(6):
        loss = opt.step(closure)
        ref_loss = ref.step(_rosenbrock)
        np.testing.assert_allclose(x.detach().numpy(), ref.x, rtol=1e-9, atol=1e-12)
        assert loss.item() == pytest.approx(ref_loss, rel=1e-12)
        st = opt.state[x]
        assert (st["n_iter"], st["func_evals"]) == (ref.n_iter, ref.func_evals) and len(calls) == ref.func_evals
        assert len(st["old_dirs"]) == len(ref.dirs) <= kwargs["history_size"]
    a, b = _quadratic(seed=3, n=7)
    ps, f = _nt_quadratic(a, b, ntorch.float64)
    opt = optim.LBFGS(ps, line_search_fn=line_search_fn, **kwargs)
    ref = NumpyLBFGS(np.zeros(7), line_search_fn=line_search_fn, **kwargs)
    for _ in range(3):
        opt.step(_closure(opt, f))
        ref.step(lambda z: (0.5 * z @ a @ z - b @ z, a @ z - b))
        z = np.concatenate([ps[0].detach().numpy().reshape(-1), ps[1].detach().numpy()])
        np.testing.assert_allclose(z, ref.x, rtol=1e-9, atol=1e-12)


def test_lbfgs_state_dict_round_trip():
    """The history (lists of tensors kept under the first parameter) survives state_dict / load_state_dict."""
    def make():
        x = ntorch.tensor([-1.2, 1.0], dtype=ntorch.float64, requires_grad=True)
        return x, (lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)

    xa, fa = make()
    opt_a = optim.LBFGS([xa], max_iter=3, history_size=4)
    opt_a.step(_closure(opt_a, fa))
    xb, fb = make()
    xb.detach().copy_(xa.detach())
    opt_b = optim.LBFGS([xb], max_iter=3, history_size=4)
    opt_b.load_state_dict(_clone_state(opt_a.state_dict()))
    assert list(opt_b.state_dict()["state"]) == [0]
    assert len(opt_b.state[xb]["old_dirs"]) == len(opt_a.state[xa]["old_dirs"]) >= 1
    for _ in range(2):
        opt_a.step(_closure(opt_a, fa))
        opt_b.step(_closure(opt_b, fb))
    np.testing.assert_array_equal(xa.detach().numpy(), xb.detach().numpy())


def test_lbfgs_errors_and_early_exit():
    p, q = ntorch.zeros(2, requires_grad=True), ntorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)$"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    opt = optim.LBFGS([p], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        opt.step(_closure(opt, lambda: ((p - 1) ** 2).sum()))
    opt = optim.LBFGS([q])
    assert opt.param_groups[0]["max_eval"] == 25 and opt.param_groups[0]["history_size"] == 100
    calls = []
    loss = opt.step(_closure(opt, lambda: (q * q).sum(), calls))  # gradient already 0: one evaluation, no move
    assert loss.item() == 0.0 and calls == [1] and q.tolist() == [0.0, 0.0] and opt.state[q]["n_iter"] == 0


# -- swa_utils -----------------------------------------------------------------------------------------------------
def _model():
    ntorch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))


def _set_weights(model, w, b):
    with ntorch.no_grad():
        model[0].weight.copy_(ntorch.tensor(w, dtype=ntorch.float32))
        model[0].bias.copy_(ntorch.tensor(b, dtype=ntorch.float32))


@pytest.mark.parametrize("kind", ["default", "swa_avg_fn", "swa_multi", "ema_avg_fn", "ema_multi"])
def test_averaged_model(kind, rng):
    """The averaged weights after 5 updates: the running mean (SWA) or the EMA seeded by the first weights; the
    BatchNorm buffers follow the model's (use_buffers=False)."""
    decay = 0.8
    fns = {"default": {}, "swa_avg_fn": dict(avg_fn=swa_utils.get_swa_avg_fn()),
           "swa_multi": dict(multi_avg_fn=swa_utils.get_swa_multi_avg_fn()),
           "ema_avg_fn": dict(avg_fn=swa_utils.get_ema_avg_fn(decay)),
           "ema_multi": dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(decay))}
    model = _model()
    averaged = swa_utils.AveragedModel(model, **fns[kind])
    assert averaged.n_averaged.dtype is ntorch.int64 and averaged.n_averaged.item() == 0
    ws = [(rng.standard_normal((3, 4)).astype(F32), rng.standard_normal(3).astype(F32)) for _ in range(5)]
    for w, b in ws:
        _set_weights(model, w, b)
        with ntorch.no_grad():
            model[1].running_mean.add_(1.0)
        averaged.update_parameters(model)
    if kind.startswith("ema"):
        ref_w, ref_b = ws[0]
        for w, b in ws[1:]:
            ref_w, ref_b = decay * ref_w + (1 - decay) * w, decay * ref_b + (1 - decay) * b
    else:
        ref_w, ref_b = np.mean([w for w, _ in ws], 0), np.mean([b for _, b in ws], 0)
    np.testing.assert_allclose(averaged.module[0].weight.detach().numpy(), ref_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(averaged.module[0].bias.detach().numpy(), ref_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(averaged.module[1].running_mean.numpy(), np.full(3, 5.0, F32))
    assert averaged.n_averaged.item() == 5 and averaged.module is not model
    assert averaged.module[0].weight is not model[0].weight
    keys = list(averaged.state_dict())  # torch's layout: the counter, then the copy's entries
    assert keys[:3] == ["n_averaged", "module.0.weight", "module.0.bias"] and "module.1.running_mean" in keys
    restored = swa_utils.AveragedModel(_model(), **fns[kind])
    restored.load_state_dict(averaged.state_dict())
    assert restored.n_averaged.item() == 5
    np.testing.assert_array_equal(restored.module[0].weight.detach().numpy(),
                                  averaged.module[0].weight.detach().numpy())
    x = ntorch.tensor(rng.standard_normal((2, 4)).astype(F32))
    averaged.eval()
    np.testing.assert_allclose(averaged(x).detach().numpy(), averaged.module(x).detach().numpy())


def test_averaged_model_use_buffers_and_float64(rng):
    """use_buffers=True averages the buffers too (the int64 batch counter with torch's per-tensor avg_fn: the
    average truncated to an integer); float64 models average in float64."""
    model = _model().double()
    averaged = swa_utils.AveragedModel(model, use_buffers=True)
    means = [rng.standard_normal(3) for _ in range(3)]
    for i, m in enumerate(means):
        with ntorch.no_grad():
            model[1].running_mean.copy_(ntorch.tensor(m))
            model[1].num_batches_tracked.fill_(2 * i + 1)
        averaged.update_parameters(model)
    np.testing.assert_allclose(averaged.module[1].running_mean.numpy(), np.mean(means, 0), rtol=1e-12)
    assert averaged.module[1].running_mean.dtype is ntorch.float64
    assert averaged.module[1].num_batches_tracked.item() == 3  # (1, 3, 5): 1 -> 1 + 2/2 = 2 -> 2 + 3/3 = 3


def test_swa_multi_avg_fn_weight_is_float32_like_torch():
    """torch's get_swa_multi_avg_fn lerps with 1 / (n + 1) computed from the int64 count tensor: a float32 weight
    (1/3 -> 0.3333333432674408), also for float64 parameters."""
    avg, cur = [ntorch.zeros(1, dtype=ntorch.float64)], [ntorch.ones(1, dtype=ntorch.float64)]
    swa_utils.get_swa_multi_avg_fn()(avg, cur, ntorch.tensor(2))
    assert avg[0].item() == float(F32(1 / 3))
    avg = [ntorch.zeros(1, dtype=ntorch.float64)]
    swa_utils.get_swa_multi_avg_fn()(avg, cur, 2)  # a Python count: an exact 1/3
    assert avg[0].item() == pytest.approx(1 / 3, rel=1e-15)


def test_swa_errors():
    with pytest.raises(ValueError,
                       match=r"^Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range.$"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match=r"^Invalid decay value -0.1 provided"):
        swa_utils.get_ema_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="^Only one of avg_fn and multi_avg_fn should be provided$"):
        swa_utils.AveragedModel(_model(), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    opt = optim.SGD([ntorch.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="^anneal_strategy must be one of 'cos' or 'linear', instead got exp$"):
        swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="^anneal_epochs must be equal or greater than 0, got -1$"):
        swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=-1)
    with pytest.raises(ValueError, match="^swa_lr must have the same length as optimizer.param_groups"):
        swa_utils.SWALR(opt, swa_lr=[0.05, 0.1])


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_schedule(strategy, anneal_epochs):
    """lr_k = swa_lr * a(k) + lr_0 * (1 - a(k)), a = the anneal function of min(1, k / anneal_epochs) (k >= 1 when
    anneal_epochs is 0), per group; state_dict drops the optimizer and the anneal function."""
    opt = optim.SGD([{"params": [ntorch.zeros(2, requires_grad=True)]},
                     {"params": [ntorch.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
    sched = swa_utils.SWALR(opt, swa_lr=[0.05, 0.5], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    anneal = (lambda t: (1 - math.cos(math.pi * t)) / 2) if strategy == "cos" else (lambda t: t)
    got = [sched.get_last_lr()]
    for _ in range(6):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr())
    for k, lrs in enumerate(got):
        step = max(1, k) if anneal_epochs == 0 else k
        a = anneal(min(1, step / max(1, anneal_epochs)))
        np.testing.assert_allclose(lrs, [0.05 * a + 0.1 * (1 - a), 0.5 * a + 0.3 * (1 - a)], rtol=1e-12)
    sd = sched.state_dict()
    assert "optimizer" not in sd and "anneal_func" not in sd and sd["_anneal_strategy"] == strategy
    other = swa_utils.SWALR(opt, swa_lr=0.01, anneal_strategy="linear" if strategy == "cos" else "cos")
    other.load_state_dict(sd)
    assert other.anneal_func(0.5) == anneal(0.5) and other.anneal_epochs == anneal_epochs
    assert opt.param_groups[1]["swa_lr"] == 0.01


def test_update_bn(rng):
    """One pass over the loader with momentum None: running_mean is the mean of the batch means and
    running_var of the (unbiased) batch variances; momentum and the train flag come back; a batch that is a
    list gives its first element; a model without BatchNorm is left alone."""
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, momentum=0.3))
    model.eval()
    with ntorch.no_grad():
        model[1].running_mean.fill_(7.0)
    batches = [rng.standard_normal((6, 3)).astype(F32) for _ in range(4)]
    loader = [[ntorch.tensor(b), ntorch.zeros(6)] for b in batches]
    swa_utils.update_bn(loader, model)
    w, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    acts = [x @ w.T + b for x in batches]
    np.testing.assert_allclose(model[1].running_mean.numpy(), np.mean([a.mean(0) for a in acts], 0), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(model[1].running_var.numpy(), np.mean([a.var(0, ddof=1) for a in acts], 0),
                               rtol=1e-5)
    assert model[1].momentum == 0.3 and not model.training and model[1].num_batches_tracked.item() == 4
    plain = nn.Linear(3, 3)
    swa_utils.update_bn([ntorch.zeros(2, 3)], plain)
