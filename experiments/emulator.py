"""A Gaussian-process emulator of a design's outcome, for Sobol indices when runs are scarce.

``fit_emulator(X, y)`` fits scikit-learn's ``GaussianProcessRegressor`` with an anisotropic (ARD) RBF
kernel times a constant, plus a white-noise term (replicate noise is real: the emulator must not
interpolate it), on inputs scaled to [0, 1] by the parameters' ranges, and reports its k-fold
cross-validated accuracy (R^2 and RMSE on held-out points).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Emulator:
    """A fitted GP with the scaling of its inputs (``lows``/``highs``: the parameters' ranges)."""

    gp: Any
    lows: np.ndarray
    highs: np.ndarray

    def scale(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, float) - self.lows) / (self.highs - self.lows)

    def predict(self, X: np.ndarray, return_std: bool = False):
        """Predictions at points in the parameters' own units (and their standard deviations)."""
        return self.gp.predict(self.scale(X), return_std=return_std)

    def predict_unit(self, U: np.ndarray, return_std: bool = False):
        """Predictions at points already scaled to [0, 1]."""
        return self.gp.predict(np.asarray(U, float), return_std=return_std)

    @property
    def length_scales(self) -> np.ndarray:
        """Fitted ARD length scales on the [0, 1] scale (short: the outcome varies fast with it)."""
        return np.atleast_1d(self.gp.kernel_.k1.k2.length_scale)


def gaussian_process(d: int, seed: int = 0, kernel: Any = None, restarts: int = 1):
    """The project's GP regressor on ``d`` inputs scaled to [0, 1]: a constant x ARD RBF kernel plus
    white noise (replicate noise is real: the emulator must not interpolate it), outputs normalised.
    Given a fitted ``kernel``, its hyperparameters are kept (no optimisation): cross-validation refits
    only the GP's weights. Used by :func:`fit_emulator` and by ``experiments.calibrate``."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    if kernel is None:
        kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.5), (1e-2, 1e2))
                  + WhiteKernel(1e-2, (1e-8, 1e1)))
        optimizer = "fmin_l_bfgs_b"
    else:
        optimizer, restarts = None, 0
    # normalize_y: the outcome is standardised, so the kernel's bounds suit any outcome's units;
    # restarts: the ARD likelihood has local optima (e.g. a long length scale for every input)
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True, optimizer=optimizer,
                                    n_restarts_optimizer=restarts, random_state=seed)


def fit_emulator(X: np.ndarray, y: np.ndarray, bounds: np.ndarray | None = None, *, folds: int = 5,
                 seed: int = 0) -> tuple[Emulator, dict[str, float]]:
    """Fit a GP emulator of ``y`` on design ``X`` (points x parameters, the parameters' own units).

    ``bounds``: (d, 2) lows and highs for the [0, 1] scaling (default: the design's min and max).
    Returns ``(emulator, cv)`` where ``cv`` has ``r2`` and ``rmse`` (pooled over ``folds``-fold
    cross-validation: each point predicted by a GP fitted without it), ``sd_y``, ``n``, ``folds``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold

    X = np.asarray(X, float)
    y = np.asarray(y, float)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError("fit_emulator: X must be points x parameters with one y per point")
    keep = np.isfinite(y) & np.all(np.isfinite(X), axis=1)
    X, y = X[keep], y[keep]
    n, d = X.shape
    if n < max(folds, d + 2):
        raise ValueError(f"an emulator of {d} parameters needs at least {max(folds, d + 2)} finished "
                         f"points (got {n})")
    if bounds is None:
        lows, highs = X.min(axis=0), X.max(axis=0)
    else:
        bounds = np.asarray(bounds, float)
        lows, highs = bounds[:, 0], bounds[:, 1]
    highs = np.where(highs > lows, highs, lows + 1.0)
    U = (X - lows) / (highs - lows)
    with warnings.catch_warnings():  # a length scale at its bound: an input with no effect, expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = gaussian_process(d, seed).fit(U, y)
    # k-fold CV with the kernel's hyperparameters kept at the full fit's (each fold refits only the
    # GP's weights): one likelihood optimisation instead of k + 1, so the emulator of a 30-parameter,
    # 300-point design fits in seconds. The hyperparameters have seen every point, so this is slightly
    # optimistic; the held-out predictions themselves never see the held-out outputs.
    pred = np.empty(n)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(U):
        gp = gaussian_process(d, kernel=full.kernel_)
        pred[test] = gp.fit(U[train], y[train]).predict(U[test])
    resid = y - pred
    sst = float(np.sum((y - y.mean()) ** 2))
    cv = {"r2": 1.0 - float(np.sum(resid**2)) / sst if sst > 0 else float("nan"),
          "rmse": float(np.sqrt(np.mean(resid**2))), "sd_y": float(np.std(y, ddof=1)),
          "n": int(n), "folds": int(folds)}
    return Emulator(full, lows, highs), cv
