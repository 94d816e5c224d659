"""ntorch.special against math-module references and series written here."""

import math

import numpy as np

import ntorch
from ntorch.autograd import gradcheck

S = ntorch.special


def f64(a, requires_grad=False):
    return ntorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


XS = [-2.5, -0.3, 0.0, 0.4, 1.7, 4.0]


def test_aliases():
    x = f64(XS)
    np.testing.assert_allclose(S.expit(x).numpy(), [1 / (1 + math.exp(-v)) for v in XS])
    np.testing.assert_allclose(S.gammaln(f64([0.5, 3.0])).numpy(), [math.lgamma(0.5), math.lgamma(3.0)])
    np.testing.assert_allclose(S.psi(f64([1.0])).numpy(), [-0.5772156649015329])
    np.testing.assert_allclose(S.logsumexp(x, 0).item(), math.log(sum(math.exp(v) for v in XS)))
    np.testing.assert_allclose(S.softmax(x, 0).numpy().sum(), 1.0)
    np.testing.assert_allclose(S.multigammaln(f64([3.0]), 2).numpy(),
                               [math.lgamma(3.0) + math.lgamma(2.5) + 0.5 * math.log(math.pi)])


def test_normal_distribution_functions():
    x = f64(XS)
    ndtr = [0.5 * math.erfc(-v / math.sqrt(2)) for v in XS]
    np.testing.assert_allclose(S.ndtr(x).numpy(), ndtr, rtol=1e-14)
    np.testing.assert_allclose(S.log_ndtr(x).numpy(), np.log(ndtr), rtol=1e-13)
    np.testing.assert_allclose(S.ndtri(f64(ndtr)).numpy(), XS, atol=1e-9)
    np.testing.assert_allclose(S.erfcx(x).numpy(), [math.exp(v * v) * math.erfc(v) for v in XS], rtol=1e-12)


def test_entr_xlog1py_i0e_zeta():
    x = f64([-1.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(S.entr(x).numpy(), [-np.inf, 0.0, -0.5 * math.log(0.5), -2 * math.log(2)])
    np.testing.assert_allclose(S.xlog1py(f64([0.0, 2.0]), f64([-1.0, 0.5])).numpy(), [0.0, 2 * math.log1p(0.5)])
    i0 = [sum((v / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(60)) for v in XS]
    np.testing.assert_allclose(S.i0e(f64(XS)).numpy(), [a * math.exp(-abs(v)) for a, v in zip(i0, XS)], rtol=1e-12)
    # Hurwitz zeta: zeta(2, 1) = pi^2/6, zeta(4, 1) = pi^4/90, zeta(s, q) by a long direct sum plus integral tail
    np.testing.assert_allclose(S.zeta(f64([2.0, 4.0]), 1.0).numpy(), [math.pi ** 2 / 6, math.pi ** 4 / 90],
                               rtol=1e-13)
    q = 0.7
    ref = sum((q + k) ** -3.5 for k in range(100000)) + (q + 100000) ** -2.5 / 2.5
    np.testing.assert_allclose(S.zeta(f64([3.5]), f64([q])).numpy(), [ref], rtol=1e-10)
    assert gradcheck(lambda t: S.zeta(f64([3.0, 2.5]), t), (f64([0.6, 2.0], True),))
    assert gradcheck(lambda t: S.ndtr(t), (f64(XS, True),))
