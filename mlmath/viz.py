"""One plotting style for the whole book.

Every figure is drawn on an opaque white background with dark text, so it stays
legible when the book is read in the theme's dark mode (a transparent figure
would put black labels on a near-black page). Colours come from the Okabe–Ito
palette, which stays distinguishable for the common forms of colour blindness.

Call :func:`use_style` once at the top of a notebook. The helpers below are
the plots several chapters share (loss curves, contour plots of a loss surface,
decision boundaries of a classifier).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

__all__ = [
    "COLORS",
    "CYCLE",
    "STYLE",
    "plot_contours",
    "plot_decision_boundary",
    "plot_loss_curve",
    "use_style",
]

#: Okabe–Ito colours by name.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#6E6E6E",
}

#: Order in which series are coloured.
CYCLE = [COLORS[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "grey")]

#: The rcParams :func:`use_style` applies.
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.dpi": 96,
    "savefig.dpi": 96,
    "figure.figsize": (6.4, 3.6),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "text.color": "#111111",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "viridis",
    # Deterministic SVG/PDF output and no hashes that change between runs.
    "svg.hashsalt": "mlmath",
}


def use_style() -> None:
    """Apply the book's plotting style to matplotlib's global settings."""
    mpl.rcParams.update(STYLE)


def plot_loss_curve(
    ax: Axes,
    losses: Sequence[float] | np.ndarray,
    *,
    label: str | None = None,
    log: bool = True,
    xlabel: str = "iteration",
    color: str | None = None,
) -> None:
    """Plot a loss per iteration (or epoch), on a log scale by default."""
    losses = np.asarray(losses, dtype=float)
    ax.plot(np.arange(len(losses)), losses, label=label, color=color)
    if log and np.all(losses[np.isfinite(losses)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if label is not None:
        ax.legend()


def plot_contours(
    ax: Axes,
    f: Callable[[np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    levels: int | Sequence[float] = 20,
    resolution: int = 120,
    log: bool = False,
) -> None:
    """Contour lines of a function of two parameters.

    ``f`` receives an array of shape (M, 2) of points and returns (M,) values,
    so a loss written for a weight vector can be evaluated on the whole grid at
    once.
    """
    g0 = np.linspace(*xlim, resolution)
    g1 = np.linspace(*ylim, resolution)
    G0, G1 = np.meshgrid(g0, g1)
    values = np.asarray(f(np.column_stack([G0.ravel(), G1.ravel()]))).reshape(G0.shape)
    if log:
        values = np.log10(values - values.min() + 1e-12)
    ax.contour(G0, G1, values, levels=levels, cmap="viridis", linewidths=0.8)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)


def plot_decision_boundary(
    ax: Axes,
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 150,
    margin: float = 0.5,
) -> None:
    """Probability surface of a binary classifier over 2-D data, with the data.

    ``predict_proba`` maps (M, 2) points to (M, 2) probabilities (or (M,) of
    the positive class). The 0.5 contour is the decision boundary.
    """
    X = np.asarray(X, dtype=float)
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    G0, G1 = np.meshgrid(x0, x1)
    P = np.asarray(predict_proba(np.column_stack([G0.ravel(), G1.ravel()])))
    p = (P[:, -1] if P.ndim == 2 else P).reshape(G0.shape)
    ax.contourf(G0, G1, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(G0, G1, p, levels=[0.5], colors="black", linewidths=1.2)
    classes = np.unique(y)
    colours = [COLORS["blue"], COLORS["vermillion"]] if len(classes) == 2 else CYCLE
    for colour, c in zip(colours, classes, strict=False):
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], s=12, color=colour, edgecolor="white", linewidth=0.4)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
