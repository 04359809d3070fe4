"""Random numbers inside the kernels: xoshiro256+ uniforms and ziggurat normals, drawn from a stream's
state in place (``model.streams.Stream.uniform_state``)."""

from __future__ import annotations

import math  # noqa: F401

import numpy as np
from numba import njit

from model.kernels._jit import _JIT

_U11, _U17, _U19, _U45 = np.uint64(11), np.uint64(17), np.uint64(19), np.uint64(45)



@njit(inline="always")
def _xoshiro(s0, s1, s2, s3):
    """One step of xoshiro256+ (Blackman & Vigna 2021, ACM TOMS 47:36): a double in [0, 1) from
    the top 53 bits of the output (the bits the authors recommend for floating point), and the next
    state. Kernels hold the state in registers, so a draw costs ~1 ns."""
    r = s0 + s3
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return np.float64(r >> _U11) * 1.1102230246251565e-16, s0, s1, s2, s3


def _ziggurat_tables(c: int = 128, r: float = 3.442619855899, v: float = 9.91256303526217e-3):
    """Layer edges ``x`` (c + 1) and ratios ``x[k+1] / x[k]`` (c) of the 128-layer ziggurat for the
    standard normal (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8); constants and construction as
    in Doornik 2005, "An improved ziggurat method to generate normal random samples")."""
    x = np.zeros(c + 1)
    f = np.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for k in range(2, c):
        x[k] = np.sqrt(-2.0 * np.log(v / x[k - 1] + f))
        f = np.exp(-0.5 * x[k] * x[k])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_ZIG_R = 3.442619855899


_ZIG_R = 3.442619855899




@njit(inline="always")
def _normal(s0, s1, s2, s3):
    """One standard normal draw by the ziggurat, from the xoshiro256+ state (Doornik 2005's
    ZIGNOR: the layer comes from a second draw, not from the bits of the first, so the two are
    independent). ~99% of draws take the first branch: two uniforms, a compare and a multiply."""
    xs, ratio = _ZIG_X, _ZIG_RATIO
    while True:
        u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        v, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = 2.0 * u - 1.0
        k = np.int64(v * 128.0)  # the layer, uniform on 0..127
        if abs(u) < ratio[k]:
            return u * xs[k], s0, s1, s2, s3
        if k == 0:  # the tail beyond R (Marsaglia 1964)
            while True:
                a, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                b, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                x = np.log(1.0 - a) / _ZIG_R  # 1 - a in (0, 1]: never log(0)
                y = np.log(1.0 - b)
                if -2.0 * y >= x * x:
                    return (x - _ZIG_R if u < 0.0 else _ZIG_R - x), s0, s1, s2, s3
        x = u * xs[k]
        f0 = np.exp(-0.5 * (xs[k] * xs[k] - x * x))
        f1 = np.exp(-0.5 * (xs[k + 1] * xs[k + 1] - x * x))
        w, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        if f1 + w * (f0 - f1) < 1.0:
            return x, s0, s1, s2, s3


@njit(**_JIT)
def normals(state, out):
    """Fill ``out`` with standard normal draws from the xoshiro256+ ``state`` (advanced in place),
    as ``loneliness_update`` draws them; returns ``out``."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(out.size):
        out[k], s0, s1, s2, s3 = _normal(s0, s1, s2, s3)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return out


@njit(**_JIT)
def uniforms(state, out):
    """Fill ``out`` with uniform draws on [0, 1) from the xoshiro256+ ``state`` (4 uint64,
    advanced in place); returns ``out``."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(out.size):
        out[k], s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return out


