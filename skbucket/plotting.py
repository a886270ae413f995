"""Display objects for likes predictions, following scikit-learn's Display API.

Each class stores the values it needs in its constructor, draws them in
``plot(ax=None, ...)`` (which sets ``ax_`` and ``figure_`` and returns the
display), and is usually built with one of two class methods:

- ``from_estimator(estimator, X, y, ...)``: ``estimator`` is a fitted
  ``BucketedRegressor`` or a ``Pipeline`` ending in one (bucket predictions and
  probabilities are computed through the pipeline's earlier steps);
- ``from_predictions(y_true, y_pred, ...)``: true and predicted likes.

Displays:

- :class:`LikesPredictionDisplay`: predicted vs actual likes on symlog axes
  (0 likes stays visible) with the diagonal and the bucket edges as guides;
- :class:`BucketConfusionMatrixDisplay`: confusion matrix of buckets (counts,
  or normalised with ``normalize="true"``);
- :class:`BucketErrorDisplay`: ``log1p`` error per true bucket (box plots of
  the signed error, or MAE bars);
- :class:`BucketCalibrationDisplay`: reliability of the predicted bucket
  probabilities (top-label, or one-vs-rest per bucket);
- :class:`ErrorOverTimeDisplay`: an error metric per month/week.

matplotlib is imported only inside the methods. When ``ax`` is ``None`` a new
figure is made with ``matplotlib.pyplot``, whose default backend falls back to
the non-interactive "Agg" backend on machines without a display; pass ``ax``
from a :class:`matplotlib.figure.Figure` to avoid pyplot altogether (as
:mod:`skbucket.report` does).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from skbucket._frames import plain
from skbucket.bucketed import assign_buckets
from skbucket.metrics import (
    METRIC_NAMES,
    _as_1d_float,
    _check_buckets,
    _check_likes,
    _clip_negative,
    _predict_once,
    _resolve_bins,
    _router_has_proba,
    _scores,
    _split_final,
    bucket_labels,
    final_bins,
    predict_bucket,
    predict_bucket_proba,
)

if TYPE_CHECKING:  # matplotlib is an optional extra, imported where a plot is drawn
    from matplotlib.lines import Line2D

__all__ = [
    "BucketCalibrationDisplay",
    "BucketConfusionMatrixDisplay",
    "BucketErrorDisplay",
    "ErrorOverTimeDisplay",
    "LikesPredictionDisplay",
    "PlotInputError",
]


class PlotInputError(ValueError):
    """Raised when a display gets unusable inputs of its own (dates, probabilities, options).

    The likes themselves (lengths that differ, NaN, negative counts, bad ``bins`` or bucket
    indices) are checked as the metrics check them: a
    :class:`~skbucket.metrics.MetricsInputError`. Both are ``ValueError``.
    """


def require_matplotlib() -> None:
    """Raise an ``ImportError`` naming the extra to install when matplotlib is missing (the
    plots, :func:`skbucket.report.render_report` / ``write_report`` and ``skbucket demo`` /
    ``report`` need it; the report and the commands check first, before any long work)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        if exc.name == "matplotlib":  # not installed
            raise ImportError(
                "the plots and the report need matplotlib: pip install 'skbucket[report]'"
            ) from exc
        # installed, but it (or what it imports: Pillow) fails to import: installing the
        # extra would change nothing
        raise ImportError(
            "the plots and the report need matplotlib, which is installed but cannot be "
            f"imported ({type(exc).__name__}: {exc}); reinstall the package it names"
        ) from exc


def _new_ax(ax, figsize=None):
    """Return ``(figure, ax)``, creating a pyplot figure (of ``figsize``, default
    matplotlib's) when ``ax`` is None."""
    require_matplotlib()
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(layout="tight", figsize=figsize)  # rotated labels stay inside
    else:
        fig = ax.figure
    return fig, ax


#: matplotlib's short names of style keywords: a user's ``c`` replaces a default ``color``
_ALIASES = {
    "c": "color",
    "ls": "linestyle",
    "lw": "linewidth",
    "linewidths": "linewidth",  # scatter's name of it
    "ec": "edgecolor",
    "fc": "facecolor",
    "ms": "markersize",
    "mec": "markeredgecolor",
    "mfc": "markerfacecolor",
    "size": "fontsize",
}


def _drawn_on(ax, gid) -> bool:
    """Whether a line of ``gid`` (a reference line or guide) is on ``ax`` already."""
    return any(line.get_gid() == gid for line in ax.get_lines())


def _crowded(labels, gap=4.0) -> bool:
    """Whether neighbouring tick ``labels`` (left to right) come closer than ``gap`` pixels
    as drawn now ("501-1000" running into "1001-2500" on half a figure's width). Measured
    before any layout engine runs, which most often widens the axes, not narrows them."""
    boxes = [label.get_window_extent() for label in labels if label.get_text()]
    return any(left.x1 + gap > right.x0 for left, right in zip(boxes, boxes[1:]))


def _style(defaults, user):
    """``defaults`` updated with the user's keywords, a keyword given under either of its
    names (``c``/``color``, ``ls``/``linestyle``...) replacing the default under the other
    (matplotlib refuses both at once), as scikit-learn's displays do."""
    style = dict(defaults)
    for key in user or {}:
        full = _ALIASES.get(key, key)
        for name in [full, *(alias for alias, long in _ALIASES.items() if long == full)]:
            style.pop(name, None)
    style.update(user or {})
    return style


def _subsample(n, subsample, random_state):
    """Indices of the rows to draw (sklearn's ``subsample`` semantics)."""
    if subsample is None:
        return np.arange(n)
    if isinstance(subsample, bool | np.bool_) or not isinstance(subsample, numbers.Real):
        raise PlotInputError(
            "subsample must be None, an int (a number of points) or a float in (0, 1] (a "
            f"fraction of them), got {type(subsample).__name__} {subsample!r}."
        )
    if not isinstance(subsample, numbers.Integral):  # float, np.float32, ...: a fraction
        if not 0 < subsample <= 1:  # type: ignore[operator]  # numbers.Real (the ABC): no <
            raise PlotInputError(f"subsample as a float must be in (0, 1], got {subsample}.")
        size = max(1, int(round(n * float(subsample))))
    else:
        if int(subsample) <= 0:
            raise PlotInputError(f"subsample as an int must be positive, got {subsample}.")
        size = int(subsample)
    if size >= n:
        return np.arange(n)
    if random_state is None or isinstance(random_state, np.random.RandomState):
        from sklearn.utils import check_random_state

        # scikit-learn's rule: None draws from numpy's global generator (np.random.seed
        # repeats it, as for its PredictionErrorDisplay)
        rng = check_random_state(random_state)
    else:
        rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=size, replace=False))


# ---------------------------------------------------------------------------
# Predicted vs actual
# ---------------------------------------------------------------------------


#: The colours and markers of the models drawn on one axes, in turn (a second model's points
#: or line are told apart from the first's by their shape too, not by colour alone).
_MODEL_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
_MODEL_MARKERS = ("o", "^", "s", "D")

#: More points than this are drawn as one raster image inside vector output (SVG, PDF), so
#: that a plot of 10^6 posts is not a 150 MB SVG; axes, text and lines stay vector.
RASTERIZE_ABOVE = 5_000


class LikesPredictionDisplay:
    """Predicted vs actual likes on symlog axes, with bucket edges as guides.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        True like counts.
    y_pred : ndarray of shape (n_samples,)
        Predicted like counts.
    bins : sequence of numbers, default=None
        Bucket upper edges drawn as dotted guides (``None``: the default edges).

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The points.
    line_ : matplotlib Line2D
        The ``y = x`` diagonal.
    bin_lines_ : list of matplotlib Line2D
        The guides drawn, edge by edge: for each bucket edge, its vertical line if the edge
        lies inside the actual-likes axis and its horizontal line if it lies inside the
        predicted-likes axis (an edge outside the plotted range is not drawn, so that it
        does not widen the axes).
    ax_ : matplotlib Axes
        Axes the display was drawn on.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from skbucket.plotting import LikesPredictionDisplay
    >>> ax = Figure().subplots()
    >>> disp = LikesPredictionDisplay.from_predictions([0, 20, 400], [3, 15, 900], ax=ax)
    >>> disp.ax_.get_xscale()
    'symlog'
    """

    def __init__(self, *, y_true, y_pred, bins=None):
        self.y_true = y_true
        self.y_pred = y_pred
        self.bins = bins

    def plot(self, ax=None, *, name=None, show_bins=True, scatter_kwargs=None, line_kwargs=None):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when ``None``.
        name : str, default=None
            The model's name in the legend (its points are not listed when ``None``). A
            second model drawn on the same axes gets the next colour and marker
            (``tab:blue`` circles, ``tab:orange`` triangles, ``tab:green`` squares,
            ``tab:red`` diamonds, then again), so that its points stay apart from the
            first's in colour and in shape; name both.
        show_bins : bool, default=True
            Draw the bucket edges inside the plotted range as dotted vertical and horizontal
            lines (``bin_lines_``).
        scatter_kwargs, line_kwargs : dict, default=None
            Passed to ``ax.scatter`` (points) and ``ax.plot`` (diagonal). Above 2,000 points
            they are drawn fainter and smaller as they grow many (size 12 falls as one over
            the square root of their number, to size 2 at 72,000 points, and alpha 0.75,
            3:1 against white, a little faster, to 0.04 at 265,000), so that their density
            reads. More than 5,000
            points (``skbucket.plotting.RASTERIZE_ABOVE``) are rasterised in SVG and PDF
            files (the points only); ``scatter_kwargs={"rasterized": False}`` keeps them
            vector.

        Returns
        -------
        display : LikesPredictionDisplay
        """
        fig, ax = _new_ax(ax)
        y_true = np.asarray(self.y_true, dtype=float)
        y_pred = np.asarray(self.y_pred, dtype=float)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_yscale("symlog", linthresh=1)
        # fainter, smaller points as they grow many (above 2,000), so that where they are
        # dense still reads: 200,000 at the same 0.5 alpha were one solid blue mass
        thin = min(1.0, math.sqrt(2_000 / max(y_true.size, 1)))
        # the models drawn on these axes before: each in its own colour and marker (one blue
        # cloud for two models, or two told apart by colour alone, said nothing)
        drawn = sum(c.get_gid() == "skbucket-points" for c in ax.collections)
        points = {
            "alpha": max(0.04, 0.75 * thin**1.2),
            "s": max(2.0, 12 * thin),
            "color": _MODEL_COLOURS[drawn % len(_MODEL_COLOURS)],
            "marker": _MODEL_MARKERS[drawn % len(_MODEL_MARKERS)],
            "gid": "skbucket-points",
        }
        if name is not None:
            points["label"] = str(name)
        if thin < 1.0:  # no outline either, which drew each small point as large as before
            points["linewidth"] = 0
        if y_true.size > RASTERIZE_ABOVE:
            points["rasterized"] = True
        self.scatter_ = ax.scatter(y_true, y_pred, **_style(points, scatter_kwargs))
        # the diagonal over the actual likes (never below 0: a negative prediction widens
        # the y axis only, not the x axis into impossible counts)
        low = min(0.0, float(np.min(y_true)))
        high = max(float(np.max(y_true)), float(np.max(y_pred)), 1.0)
        # a second model drawn on the same axes: its guides are not listed in the legend again
        again = _drawn_on(ax, "skbucket-perfect")
        self.line_ = ax.plot(
            [low, high],
            [low, high],
            **_style(
                {
                    "color": "black",
                    "linestyle": "--",
                    "label": "_perfect" if again else "perfect",
                    "gid": "skbucket-perfect",
                },
                line_kwargs,
            ),
        )[0]
        self.bin_lines_: list[Line2D] = []
        if show_bins:
            # the edges inside the plotted range only, which they do not widen: all posts
            # under 10 likes are not squeezed into a corner by a line at 2,500
            ax.autoscale_view()
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            guide = {"color": "grey", "linestyle": ":", "linewidth": 0.8, "gid": "skbucket-edges"}
            listed = _drawn_on(ax, "skbucket-edges")
            for e in _resolve_bins(self.bins):
                label = {"label": "bucket edges"} if not (self.bin_lines_ or listed) else {}
                if x0 < e < x1:
                    self.bin_lines_.append(ax.axvline(e, **guide, **label))
                    label = {}
                if y0 < e < y1:
                    self.bin_lines_.append(ax.axhline(e, **guide, **label))
        ax.set(xlabel="Actual likes", ylabel="Predicted likes")
        legend = ax.legend(loc="upper left")
        for handle in legend.legend_handles:  # a model's points, however faint: plain there
            handle.set_alpha(1.0)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        subsample=None,
        random_state=None,
        name=None,
        ax=None,
        show_bins=True,
        scatter_kwargs=None,
        line_kwargs=None,
    ):
        """Plot ``estimator.predict(X)`` against ``y``.

        Parameters
        ----------
        estimator : fitted regressor
            ``BucketedRegressor``, ``Pipeline`` ending in one, or any regressor.
        X : array-like or DataFrame
            Input rows.
        y : array-like of shape (n_samples,)
            True like counts.
        subsample : int, float or None, default=None
            Number (int) or fraction (float) of rows to draw; ``None`` draws all.
        random_state : int, RandomState instance or None, default=None
            Seed of the subsampling; ``None`` draws from numpy's global generator, so
            ``np.random.seed`` repeats it, as for scikit-learn's displays.
        name, ax, show_bins, scatter_kwargs, line_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : LikesPredictionDisplay
        """
        require_matplotlib()  # before the predictions (a captioner: minutes)
        return cls.from_predictions(
            y,
            estimator.predict(X),
            bins=final_bins(estimator),
            subsample=subsample,
            random_state=random_state,
            name=name,
            ax=ax,
            show_bins=show_bins,
            scatter_kwargs=scatter_kwargs,
            line_kwargs=line_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        bins=None,
        subsample=None,
        random_state=None,
        name=None,
        ax=None,
        show_bins=True,
        scatter_kwargs=None,
        line_kwargs=None,
    ):
        """Plot predicted likes ``y_pred`` against true likes ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True like counts.
        y_pred : array-like of shape (n_samples,)
            Predicted like counts.
        bins : sequence of numbers, default=None
            Bucket upper edges drawn as guides; ``None`` for the default edges.
        subsample, random_state
            See :meth:`from_estimator`.
        name, ax, show_bins, scatter_kwargs, line_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : LikesPredictionDisplay
        """
        y_true, y_pred = _check_likes(y_true, y_pred)
        idx = _subsample(y_true.shape[0], subsample, random_state)
        disp = cls(y_true=y_true[idx], y_pred=y_pred[idx], bins=bins)
        return disp.plot(
            ax=ax,
            name=name,
            show_bins=show_bins,
            scatter_kwargs=scatter_kwargs,
            line_kwargs=line_kwargs,
        )


# ---------------------------------------------------------------------------
# Confusion matrix
# ---------------------------------------------------------------------------


def _bucket_pair(y_true, y_pred, bins, pred_kind):
    """True buckets from likes and predicted buckets from likes or bucket indices."""
    edges = _resolve_bins(bins)
    n_buckets = len(edges) + 1
    if pred_kind == "likes":
        y_true_f, y_pred_f = _check_likes(y_true, y_pred)
        bucket_pred = np.asarray(assign_buckets(_clip_negative(y_pred_f), edges))
    elif pred_kind == "bucket":
        y_true_f = _as_1d_float(y_true, "y_true")  # a scalar: "one-dimensional", not IndexError
        y_true_f, _ = _check_likes(y_true_f, np.zeros(y_true_f.shape[0]))
        bucket_pred = _check_buckets(y_pred, y_true_f.shape[0], n_buckets, "y_pred (buckets)")
    else:
        raise PlotInputError(f"pred_kind must be 'likes' or 'bucket', got {pred_kind!r}.")
    return np.asarray(assign_buckets(y_true_f, edges)), bucket_pred, edges


def _relative_luminance(color) -> float:
    """WCAG's relative luminance of a matplotlib colour (0: black, 1: white)."""
    from matplotlib.colors import to_rgb

    rgb = np.asarray(to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def _legible_cells(texts, image, matrix, ax, user_keys) -> None:
    """Each cell's value in black or white, whichever contrasts more with the cell's own
    colour (at least 4.58:1; scikit-learn picks by the data's midpoint, so with the colour
    scale fixed at 0-1 and no share near 1 a dark cell got dark text, 1.5:1), and in a size
    that fits the cell (its longest value within the cell's width, at most the usual size).
    A colour or size the user gave in ``text_kw`` is kept."""
    import matplotlib as mpl
    from matplotlib.colors import to_rgba

    values = np.asarray(matrix, dtype=float)
    if "color" not in user_keys:
        # what a see-through cell shows: the axes, else the (sub)figures holding them, the
        # outermost last, else a white page
        panels = [ax.figure]
        while getattr(panels[-1], "_parent", None) is not None:  # a SubFigure's parent
            panels.append(panels[-1]._parent)
        behind = np.ones(3)
        for face in [*(panel.get_facecolor() for panel in reversed(panels)), ax.get_facecolor()]:
            rgba = np.asarray(to_rgba(face))
            behind = rgba[3] * rgba[:3] + (1 - rgba[3]) * behind
        for (i, j), text in np.ndenumerate(texts):
            value = values[i, j]
            # the colour drawn: the colormap's "bad" colour for a masked cell (0 under
            # LogNorm) or NaN (transparent unless the colormap sets one), over what is behind
            rgba = np.asarray(image.cmap(image.norm(value)), dtype=float)
            cell = rgba[3] * rgba[:3] + (1 - rgba[3]) * behind
            # black on a cell lighter than 0.179 contrasts more than white does (WCAG ratios)
            text.set_color("black" if _relative_luminance(cell) > 0.179 else "white")
    if "fontsize" not in user_keys:
        n = max(values.shape)
        box = ax.get_position()  # figure fraction, after the colorbar took its share
        # the figure's size, or the SubFigure's the axes are in (their fractions are of it;
        # it has no get_size_inches)
        panel = ax.figure
        width, height = panel.bbox.width / panel.dpi, panel.bbox.height / panel.dpi
        cell = min(box.width * width, box.height * height) * 72 / n  # points (aspect "equal")
        longest = max((len(text.get_text()) for text in texts.ravel()), default=1)
        # a digit is about 0.64 of the font size wide (DejaVu Sans), plus a margin
        size = min(mpl.rcParams["font.size"], max(cell / (0.64 * longest + 0.6), 6))
        for text in texts.ravel():
            text.set_fontsize(size)


class BucketConfusionMatrixDisplay(ConfusionMatrixDisplay):
    """Confusion matrix of likes buckets (a :class:`~sklearn.metrics.ConfusionMatrixDisplay`).

    Parameters
    ----------
    confusion_matrix : ndarray of shape (n_buckets, n_buckets)
        Rows: true bucket; columns: predicted bucket. All buckets are present,
        also those without rows.
    display_labels : list of str, default=None
        Bucket names, e.g. from :func:`skbucket.metrics.bucket_labels`.

    Attributes
    ----------
    im_, text_, ax_, figure_
        As in :class:`sklearn.metrics.ConfusionMatrixDisplay`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from skbucket.plotting import BucketConfusionMatrixDisplay
    >>> disp = BucketConfusionMatrixDisplay.from_predictions(
    ...     [0, 50, 50, 3000], [2, 60, 400, 2800], ax=Figure().subplots())
    >>> disp.confusion_matrix[1].tolist()
    [0, 1, 0, 1, 0, 0, 0]
    """

    def plot(self, *, xticks_rotation=None, **kwargs):
        """Draw the matrix; keyword arguments as in ``ConfusionMatrixDisplay.plot``.

        Parameters
        ----------
        xticks_rotation : {"vertical", "horizontal"}, float or None, default=None
            Rotation of the predicted buckets' labels (they are ranges of likes); ``None``:
            45 degrees, upright (90) above 7 buckets, where slanted labels run together.
        **kwargs
            Passed to :meth:`sklearn.metrics.ConfusionMatrixDisplay.plot` (``ax``,
            ``cmap``, ``values_format``, ``colorbar``, ...); without ``ax`` a new figure is
            made, sized for the bucket labels.

        Returns
        -------
        display : BucketConfusionMatrixDisplay
        """
        n = len(self.confusion_matrix)
        if kwargs.get("ax") is None:  # a figure of its own, laid out for the bucket labels
            side = 0.5 * n + 2.5  # about half an inch a cell beyond 7 buckets (else the default)
            kwargs["ax"] = _new_ax(None, figsize=(side, side * 0.8) if n > 7 else None)[1]
        if xticks_rotation is None:
            xticks_rotation = 90 if n > 7 else 45
        if kwargs.get("values_format") is None:  # from_predictions' own, drawn again alike
            kwargs["values_format"] = getattr(self, "_values_format", None)
        user_text = {_ALIASES.get(key, key) for key in kwargs.get("text_kw") or {}}
        super().plot(xticks_rotation=xticks_rotation, **kwargs)
        self.ax_.set(xlabel="Predicted bucket (likes)", ylabel="True bucket (likes)")
        # what from_predictions knows of the counts: drawn again by every plot()
        rows, columns = getattr(self, "_no_posts", ((), ()))
        if getattr(self, "text_", None) is not None:
            _legible_cells(self.text_, self.im_, self.confusion_matrix, self.ax_, user_text)
            # a bucket with no true (or no predicted) posts: a dash, not a row of 0.00 that
            # reads like a bucket the model never gets right
            for k in rows:
                for text in self.text_[k, :]:
                    text.set_text("–")
            for k in columns:
                for text in self.text_[:, k]:
                    text.set_text("–")
        colorbar = getattr(getattr(self, "im_", None), "colorbar", None)
        if colorbar is not None and getattr(self, "_colorbar_label", None):
            colorbar.set_label(self._colorbar_label)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        source="classifier",
        normalize=None,
        sample_weight=None,
        ax=None,
        **plot_kwargs,
    ):
        """Confusion matrix of a fitted estimator's buckets on ``(X, y)``.

        Parameters
        ----------
        estimator : fitted BucketedRegressor, Pipeline ending in one, or regressor
            Model to evaluate.
        X : array-like or DataFrame
            Input rows.
        y : array-like of shape (n_samples,)
            True like counts.
        source : {"classifier", "regression"}, default="classifier"
            ``"classifier"`` scores the bucket chosen by the routing classifier
            (``predict_bucket``); ``"regression"`` the bucket of the predicted
            likes. A regressor without ``predict_bucket`` always uses the latter.
        normalize : {"true", "pred", "all"} or None, default=None
            As in :func:`sklearn.metrics.confusion_matrix` (shares with two decimals, as in
            :meth:`from_predictions`).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: each post counts with its weight.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : BucketConfusionMatrixDisplay
        """
        require_matplotlib()  # before the predictions (a captioner: minutes)
        if source not in ("classifier", "regression"):
            raise PlotInputError(f"source must be 'classifier' or 'regression', got {source!r}.")
        fixed = sorted({"bins", "labels", "display_labels"} & set(plot_kwargs))
        if fixed:  # bins= was a TypeError ("multiple values"), which the labels error advised
            raise PlotInputError(
                f"{cls.__name__}.from_estimator: {', '.join(fixed)} cannot be given: the rows "
                "and columns are the model's buckets; for other buckets of the predicted "
                "likes use from_predictions(y, estimator.predict(X), bins=...)."
            )
        if "pred_kind" in plot_kwargs:  # a TypeError too; source= says what is scored
            raise PlotInputError(
                f"{cls.__name__}.from_estimator: pred_kind cannot be given: source= chooses "
                "what is scored ('classifier': the routed bucket, 'regression': the bucket "
                "of the predicted likes)."
            )
        bins = final_bins(estimator)
        buckets = predict_bucket(estimator, X) if source == "classifier" else None
        if buckets is not None:
            return cls.from_predictions(
                y,
                buckets,
                bins=bins,
                pred_kind="bucket",
                normalize=normalize,
                sample_weight=sample_weight,
                ax=ax,
                **plot_kwargs,
            )
        return cls.from_predictions(
            y,
            estimator.predict(X),
            bins=bins,
            normalize=normalize,
            sample_weight=sample_weight,
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        bins=None,
        pred_kind="likes",
        normalize=None,
        sample_weight=None,
        ax=None,
        **plot_kwargs,
    ):
        """Confusion matrix from true likes and predicted likes (or buckets).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True like counts.
        y_pred : array-like of shape (n_samples,)
            Predicted like counts, or bucket indices when ``pred_kind="bucket"``.
        bins : sequence of numbers, default=None
            Bucket upper edges (``None``: the default edges).
        pred_kind : {"likes", "bucket"}, default="likes"
            What ``y_pred`` holds. Predicted likes are put in the bucket whose edges hold
            them, unrounded: a prediction of 10.4 likes is in the bucket labelled
            ``11-100`` (the labels name whole likes; the edges are ``(10, 100]``).
        normalize : {"true", "pred", "all"} or None, default=None
            As in :func:`sklearn.metrics.confusion_matrix`. Shares are written with two
            decimals (``values_format=".2f"`` unless given).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (finite, non-negative numbers, not booleans): each post counts with
            its weight.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **plot_kwargs
            Passed to :meth:`plot`. The rows and columns are the buckets of ``bins``, so
            scikit-learn's ``labels`` and ``display_labels`` are refused.

        Returns
        -------
        display : BucketConfusionMatrixDisplay
        """
        from sklearn.metrics import confusion_matrix
        from sklearn.utils.validation import _check_sample_weight

        from ._subestimators import _refuse_boolean_weights

        fixed = sorted({"labels", "display_labels"} & set(plot_kwargs))
        if fixed:
            raise PlotInputError(
                f"{cls.__name__}: {', '.join(fixed)} cannot be given: the rows and columns "
                "are the buckets of `bins` (pass bins= to change them)."
            )
        bucket_true, bucket_pred, edges = _bucket_pair(y_true, y_pred, bins, pred_kind)
        if sample_weight is not None:
            try:
                _refuse_boolean_weights(np.asarray(sample_weight, dtype=object))  # not 1 and 0
                sample_weight = _check_sample_weight(
                    sample_weight, bucket_true, ensure_non_negative=True
                )
            except ValueError as exc:
                raise PlotInputError(f"{cls.__name__}: sample_weight: {exc}") from exc
        cm = confusion_matrix(
            bucket_true,
            bucket_pred,
            labels=np.arange(len(edges) + 1),
            normalize=normalize,
            sample_weight=sample_weight,
        )
        disp = cls(confusion_matrix=cm, display_labels=bucket_labels(edges))
        if normalize in ("true", "pred"):
            raw = confusion_matrix(
                bucket_true,
                bucket_pred,
                labels=np.arange(len(edges) + 1),
                sample_weight=sample_weight,
            )
            empty = np.flatnonzero(raw.sum(axis=1 if normalize == "true" else 0) == 0).tolist()
            disp._no_posts = (empty, []) if normalize == "true" else ([], empty)
        given_format = plot_kwargs.get("values_format") is not None
        posts = "posts" if sample_weight is None else "posts (weighted)"
        disp._colorbar_label = {
            None: posts.capitalize(),
            "true": f"Share of the true bucket's {posts}",
            "pred": f"Share of the predicted bucket's {posts}",
            "all": f"Share of all {posts}",
        }[normalize]
        if normalize is not None and plot_kwargs.get("values_format") is None:
            # shares with two decimals in every cell (scikit-learn's ".2g" gave "0.7" beside
            # "0.015" and "1.3e-05" in one matrix), as the report shows them
            plot_kwargs["values_format"] = ".2f"
        elif sample_weight is not None and plot_kwargs.get("values_format") is None:
            # weighted counts are floats, which scikit-learn writes with ".2g": 153 posts of
            # weight 1 read "1.5e+02"; whole counts in full, others with two decimals, or as
            # many as the smallest count needs to show (weights that sum to 1 over 300 posts:
            # a post's 0.0033 read "0.00", as an empty cell reads)
            whole = bool(np.all(cm == np.round(cm)))
            smallest = float(np.min(cm[cm > 0], initial=1.0))
            decimals = max(2, 1 - math.floor(math.log10(smallest)))
            fmt = ".2g" if decimals > 6 else f".{decimals}f"
            plot_kwargs["values_format"] = ".0f" if whole else fmt
        # what plot() draws again when no values_format is given (not the user's: a format
        # given to one plot() is for that one)
        disp._values_format = None if given_format else plot_kwargs.get("values_format")
        return disp.plot(ax=ax, **plot_kwargs)


def _check_freq(freq) -> None:
    """``freq`` as a pandas period frequency, or a :class:`PlotInputError` naming it."""
    import pandas as pd

    try:
        if freq is None:
            raise ValueError("a frequency is needed")
        pd.Period("2000-01-01", freq=freq)
    except (ValueError, TypeError, AttributeError) as exc:
        raise PlotInputError(
            f"freq must be a pandas period frequency such as 'M' (month), 'W' (week), 'D' "
            f"(day), 'Q' or 'Y'; got {freq!r} ({exc})."
        ) from None


# ---------------------------------------------------------------------------
# Error per bucket
# ---------------------------------------------------------------------------


class BucketErrorDisplay:
    """``log1p`` error of the predictions, per true bucket.

    Parameters
    ----------
    errors : list of ndarray
        One array per bucket: signed errors ``log1p(pred) - log1p(true)`` of
        the rows whose *true* likes fall in that bucket (may be empty).
    display_labels : list of str
        Bucket names.

    Attributes
    ----------
    mae_ : ndarray of shape (n_buckets,)
        Mean absolute ``log1p`` error per bucket (NaN for empty buckets).
    artists_ : dict or BarContainer
        What was drawn: the ``boxplot`` dict (``kind="box"``) or the bars.
    ax_ : matplotlib Axes
        Axes the display was drawn on.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from skbucket.plotting import BucketErrorDisplay
    >>> disp = BucketErrorDisplay.from_predictions(
    ...     [0, 5, 50], [0, 5, 120], kind="mae", ax=Figure().subplots())
    >>> disp.mae_[:2].round(3).tolist()
    [0.0, 0.864]
    """

    def __init__(self, *, errors, display_labels):
        self.errors = errors
        self.display_labels = display_labels

    def plot(self, ax=None, *, kind="box", plot_kwargs=None):
        """Draw box plots of the signed errors (``"box"``) or MAE bars (``"mae"``).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        kind : {"box", "mae"}, default="box"
            What to draw.
        plot_kwargs : dict, default=None
            Passed to ``ax.boxplot`` or ``ax.bar``.

        Returns
        -------
        display : BucketErrorDisplay
        """
        if kind not in ("box", "mae"):
            raise PlotInputError(f"kind must be 'box' or 'mae', got {kind!r}.")
        fig, ax = _new_ax(ax)
        errors = [np.asarray(e, dtype=float) for e in self.errors]
        self.mae_ = np.array([np.mean(np.abs(e)) if e.size else np.nan for e in errors])
        labels = [f"{lab}\n(n={e.size})" for lab, e in zip(self.display_labels, errors)]
        positions = np.arange(1, len(errors) + 1)
        if kind == "box":
            # empty buckets get no box but keep their tick
            data = [e if e.size else np.array([np.nan]) for e in errors]
            # black medians, thicker than the zero line: matplotlib's orange had 2.5:1 against
            # white and went light grey in greyscale
            self.artists_ = ax.boxplot(
                data,
                positions=positions,
                **_style(
                    {"showfliers": True, "medianprops": {"color": "black", "linewidth": 2.0}},
                    plot_kwargs,
                ),
            )
            ax.axhline(0.0, color="black", linewidth=0.8, linestyle="--")
            ax.set_ylabel("log1p(predicted) - log1p(actual)")
        else:
            self.artists_ = ax.bar(  # an empty bucket gets no bar (NaN), not a perfect 0
                positions,
                self.mae_,
                # outlined: the orange alone had 2.5:1 against white
                **_style(
                    {"color": "tab:orange", "edgecolor": "0.2", "linewidth": 0.8}, plot_kwargs
                ),
            )
            ax.set_ylabel("MAE of log1p(likes)")
        ax.set_xticks(positions, labels, fontsize="small")
        # every bucket's tick inside the axes: an empty end bucket (no box, no bar) left the
        # axes ending on its tick, its label cut at the figure's edge
        ax.set_xlim(0.5, len(labels) + 0.5)
        if len(labels) > 7:  # more buckets than the seed's: upright, so the ranges do not run
            for label in ax.get_xticklabels():  # into each other
                label.set(rotation=90, horizontalalignment="center")
        elif _crowded(ax.get_xticklabels()):  # narrow axes (one of two side by side)
            for label in ax.get_xticklabels():
                label.set(rotation=45, horizontalalignment="right", rotation_mode="anchor")
        ax.set_xlabel("True bucket (likes)")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, kind="box", ax=None, plot_kwargs=None):
        """Errors of ``estimator.predict(X)`` per true bucket of ``y``.

        Parameters
        ----------
        estimator : fitted regressor
            ``BucketedRegressor``, ``Pipeline`` ending in one, or any regressor.
        X : array-like or DataFrame
            Input rows.
        y : array-like of shape (n_samples,)
            True like counts.
        kind, ax, plot_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : BucketErrorDisplay
        """
        require_matplotlib()  # before the predictions (a captioner: minutes)
        return cls.from_predictions(
            y, estimator.predict(X), bins=final_bins(estimator), kind=kind, ax=ax,
            plot_kwargs=plot_kwargs,
        )  # fmt: skip

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, bins=None, kind="box", ax=None, plot_kwargs=None):
        """Errors of predicted likes per true bucket.

        Negative predictions are clipped to 0 before ``log1p`` (with a warning).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True like counts.
        y_pred : array-like of shape (n_samples,)
            Predicted like counts.
        bins : sequence of numbers, default=None
            Bucket upper edges that group the rows by true likes; ``None`` for the default
            edges.
        kind, ax, plot_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : BucketErrorDisplay
        """
        y_true, y_pred = _check_likes(y_true, y_pred)
        edges = _resolve_bins(bins)
        err = np.log1p(_clip_negative(y_pred)) - np.log1p(y_true)
        bucket_true = np.asarray(assign_buckets(y_true, edges))
        errors = [err[bucket_true == k] for k in range(len(edges) + 1)]
        disp = cls(errors=errors, display_labels=bucket_labels(edges))
        return disp.plot(ax=ax, kind=kind, plot_kwargs=plot_kwargs)


# ---------------------------------------------------------------------------
# Calibration of bucket probabilities
# ---------------------------------------------------------------------------


class BucketCalibrationDisplay:
    """Reliability diagram of predicted bucket probabilities.

    Parameters
    ----------
    prob_true : list of ndarray
        Per curve: observed frequency in each probability bin.
    prob_pred : list of ndarray
        Per curve: mean predicted probability in each bin.
    curve_labels : list of str
        Per curve: its legend label.
    kind : {"top_label", "one_vs_rest"}
        ``"top_label"``: one curve, confidence of the most probable bucket vs
        how often that bucket is right. ``"one_vs_rest"``: one curve per bucket,
        ``P(bucket k)`` vs the share of rows truly in bucket ``k``.
    bin_counts : list of ndarray, default=None
        Per curve: the number of rows in each bin (a point drawn from 4 rows says less than
        one from 400); ``from_predictions`` fills it, ``None``: not known.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One per curve (the reference diagonal is not included).
    count_texts_ : list of matplotlib Annotation
        The numbers of rows written beside the points (empty unless ``show_counts``).
    ax_ : matplotlib Axes
        Axes the display was drawn on.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from skbucket.plotting import BucketCalibrationDisplay
    >>> proba = np.eye(7)[[0, 1, 1, 6]]
    >>> disp = BucketCalibrationDisplay.from_predictions(
    ...     [3, 50, 2000, 9000], proba, ax=Figure().subplots())
    >>> len(disp.lines_)
    1
    """

    def __init__(self, *, prob_true, prob_pred, curve_labels, kind="top_label", bin_counts=None):
        self.prob_true = prob_true
        self.prob_pred = prob_pred
        self.curve_labels = curve_labels
        self.kind = kind
        self.bin_counts = bin_counts

    def plot(self, ax=None, *, name=None, ref_line=True, show_counts=None, **kwargs):
        """Draw the reliability curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        name : str, default=None
            The model's name in the legend, to tell the curves of models drawn on one axes
            apart: the top-label curve is labelled ``name``, a bucket's curve
            ``"name: 11-100"`` (``None``: ``"top bucket"`` and the bucket names).
        ref_line : bool, default=True
            Draw the "perfectly calibrated" diagonal (once per axes: not again for a second
            model drawn on the same axes).
        show_counts : bool or None, default=None
            Write beside each point the number of rows it stands on (``count_texts_``), so
            that a point of 2 rows does not read as surely as one of 200. ``None``: for the
            top-label curve (one curve), when ``bin_counts`` is known, unless another
            curve's numbers are on the axes already (they overlapped).
        **kwargs
            Passed to ``ax.plot`` for every curve (a ``label`` replaces every curve's).
            The one-vs-rest curves, ordered buckets, take their colours in order from
            viridis (its darker 60%, 3:1 against white at least) and vary their markers, so
            more than ten stay apart. The top-label curves of models drawn on one axes take
            ``tab:blue`` squares on a solid line, then ``tab:orange`` diamonds dashed,
            ``tab:green`` circles dotted, ``tab:red`` triangles dash-dotted.

        Returns
        -------
        display : BucketCalibrationDisplay
        """
        fig, ax = _new_ax(ax)
        if ref_line and not _drawn_on(ax, "skbucket-calibrated"):
            ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated", gid="skbucket-calibrated")
        if name is None:
            labels = self.curve_labels
        elif self.kind == "top_label":
            labels = [str(name)] * len(self.curve_labels)
        else:
            labels = [f"{name}: {lab}" for lab in self.curve_labels]
        n = len(self.prob_true)
        if self.kind == "top_label" or n == 1:
            # a second model's top-label curve on the same axes: its own colour, marker and
            # line style (two alike but for blue and orange were one grey in greyscale)
            k = sum(line.get_gid() == "skbucket-top" for line in ax.get_lines())
            looks = [
                {
                    "marker": _MODEL_MARKERS[(k + 2) % len(_MODEL_MARKERS)],
                    "color": _MODEL_COLOURS[k % len(_MODEL_COLOURS)],
                    "linestyle": ("-", "--", ":", "-.")[k % 4],
                    "gid": "skbucket-top",
                }
            ] * n
        else:  # tab10 repeated its colours past ten buckets ("0-0" and "501-1000" alike)
            from matplotlib import colormaps

            # viridis up to 0.6: its lighter greens and yellows held under 3:1 against white
            shades = colormaps["viridis"](np.linspace(0.0, 0.6, n))
            # a second model's curves on the same axes: the same colours, another line style
            drawn = sum(line.get_gid() == "skbucket-ovr" for line in ax.get_lines())
            style = ("-", "--", ":", "-.")[drawn % 4]
            looks = [
                {"marker": "soD^vPX"[k % 7], "color": shades[k], "linestyle": style}
                for k in range(n)
            ]
            looks[0]["gid"] = "skbucket-ovr"  # one per model drawn
        self.lines_ = [
            ax.plot(pp, pt, **_style({**look, "label": lab}, kwargs))[0]
            for pt, pp, lab, look in zip(self.prob_true, self.prob_pred, labels, looks)
        ]
        if show_counts is None:  # unless another curve's are on the axes (two models'
            # numbers printed over each other, "156" on "190")
            show_counts = (
                self.kind == "top_label"
                and self.bin_counts is not None
                and not any(t.get_gid() == "skbucket-counts" for t in ax.texts)
            )
        if show_counts and self.bin_counts is None:
            raise PlotInputError(
                f"{type(self).__name__}: show_counts=True needs bin_counts (from_predictions "
                "and from_estimator fill them)."
            )
        self.count_texts_ = []
        if show_counts:
            for line, pt, pp, counts in zip(
                self.lines_, self.prob_true, self.prob_pred, self.bin_counts
            ):
                for x, y, c in zip(pp, pt, counts):
                    low = y < 0.15  # above a point near the floor, where below is off the axes
                    self.count_texts_.append(
                        ax.annotate(
                            f"{int(c):,}" if float(c).is_integer() else f"{c:,.1f}",
                            (x, y),
                            xytext=(5, 4 if low else -4),
                            textcoords="offset points",
                            ha="left",
                            va="bottom" if low else "top",
                            fontsize="x-small",
                            color=line.get_color(),
                            gid="skbucket-counts",
                        )
                    )
        if self.kind == "top_label":
            ax.set(xlabel="Predicted probability of the top bucket", ylabel="Share correct")
        else:
            ax.set(
                xlabel="Predicted probability of the bucket",
                ylabel="Share of rows in the bucket",
            )
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
        handles, texts = ax.get_legend_handles_labels()
        if self.count_texts_:  # an entry that says what the numbers are (no artist drawn)
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], linestyle="none"))
            texts.append("beside each point: its rows")
        # many curves: the legend beside the axes (over them it hid the curves)
        beside = {"bbox_to_anchor": (1.02, 1.0)} if len(self.lines_) > 7 else {}
        ax.legend(handles, texts, loc="upper left", fontsize="small", **beside)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        kind="top_label",
        n_bins=5,
        strategy="uniform",
        name=None,
        ax=None,
        **kwargs,
    ):
        """Calibration of ``predict_bucket_proba(X)`` (through a Pipeline if needed).

        Parameters
        ----------
        estimator : fitted BucketedRegressor or Pipeline ending in one
            Must expose ``predict_bucket_proba`` (on its last step).
        X : array-like or DataFrame
            Input rows.
        y : array-like of shape (n_samples,)
            True like counts.
        kind : {"top_label", "one_vs_rest"}, default="top_label"
            See the class docstring.
        n_bins : int, default=5
            Probability bins, as in :func:`sklearn.calibration.calibration_curve`.
        strategy : {"uniform", "quantile"}, default="uniform"
            As in :func:`sklearn.calibration.calibration_curve`.
        name, ax, **kwargs
            See :meth:`plot`.

        Returns
        -------
        display : BucketCalibrationDisplay

        Raises
        ------
        PlotInputError
            If the routing classifier has no ``predict_proba`` (its bucket probabilities
            would be one-hot predictions: nothing to calibrate).
        """
        require_matplotlib()  # before the predictions (a captioner: minutes)
        if "bins" in kwargs:  # was a TypeError, "got multiple values for keyword argument"
            raise PlotInputError(
                f"{cls.__name__}.from_estimator: bins cannot be given: the probabilities are "
                "those of the model's own buckets (its bins), one column each, and cannot be "
                "put in other buckets."
            )
        _, final = _split_final(estimator)
        if not _router_has_proba(final):
            raise PlotInputError(
                f"the routing classifier {type(final.classifier_).__name__} has no "
                "predict_proba: its bucket probabilities are one-hot predictions, which a "
                "calibration plot cannot judge (use a classifier with predict_proba)"
            )
        return cls.from_predictions(
            y,
            predict_bucket_proba(estimator, X),
            bins=final_bins(estimator),
            kind=kind,
            n_bins=n_bins,
            strategy=strategy,
            name=name,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_proba,
        *,
        bins=None,
        kind="top_label",
        n_bins=5,
        strategy="uniform",
        name=None,
        ax=None,
        **kwargs,
    ):
        """Calibration of bucket probabilities ``y_proba`` against true likes.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True like counts (turned into buckets with ``assign_buckets``).
        y_proba : array-like of shape (n_samples, n_buckets)
            Predicted bucket probabilities, columns in bucket order.
        bins, kind, n_bins, strategy, name, ax, **kwargs
            See :meth:`from_estimator`.

        Returns
        -------
        display : BucketCalibrationDisplay
        """
        if kind not in ("top_label", "one_vs_rest"):
            raise PlotInputError(f"kind must be 'top_label' or 'one_vs_rest', got {kind!r}.")
        edges = _resolve_bins(bins)
        n_buckets = len(edges) + 1
        y_true = _as_1d_float(y_true, "y_true")
        y_true, _ = _check_likes(y_true, np.zeros(y_true.shape[0]))
        proba = np.asarray(y_proba, dtype=float)
        if proba.shape != (y_true.shape[0], n_buckets):
            raise PlotInputError(
                f"y_proba must have shape ({y_true.shape[0]}, {n_buckets}) (rows, buckets), "
                f"got {proba.shape}."
            )
        bad = np.argwhere(~np.isfinite(proba) | (proba < 0) | (proba > 1))
        if bad.size:
            r, c = bad[0]
            raise PlotInputError(
                f"y_proba must hold probabilities in [0, 1]; row {r}, bucket {c} holds "
                f"{proba[r, c]!r}."
            )
        sums = proba.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1) > 1e-3)  # float32 rounding passes
        if off.size:  # not one distribution per post: the curves would mean nothing
            raise PlotInputError(
                f"each row of y_proba must sum to 1 (a post's probabilities over the buckets); "
                f"row {off[0]} sums to {sums[off[0]]:g} ({off.size} row(s) do not)."
            )
        bucket_true = np.asarray(assign_buckets(y_true, edges))
        if kind == "top_label":
            correct = (proba.argmax(axis=1) == bucket_true).astype(int)
            curves = [(_binned(correct, proba.max(axis=1), n_bins, strategy), "top bucket")]
        else:
            curves = [
                (_binned((bucket_true == k).astype(int), proba[:, k], n_bins, strategy), bucket)
                for k, bucket in enumerate(bucket_labels(edges))
            ]
        disp = cls(
            prob_true=[pt for (pt, _, _), _ in curves],
            prob_pred=[pp for (_, pp, _), _ in curves],
            curve_labels=[label for _, label in curves],
            kind=kind,
            bin_counts=[counts for (_, _, counts), _ in curves],
        )
        return disp.plot(ax=ax, name=name, **kwargs)


def _binned(y_true, y_prob, n_bins, strategy):
    """:func:`sklearn.calibration.calibration_curve` of one curve and the rows of each of its
    points: the bins it draws with (its edges, ``searchsorted`` on the inner ones), the empty
    ones left out as it leaves them out."""
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(
        y_true, y_prob, pos_label=1, n_bins=n_bins, strategy=strategy
    )
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":  # written as scikit-learn writes them: a quantile edge may be
        edges = np.percentile(y_prob, edges * 100)  # a row's value, and rounding moves it
    which = np.searchsorted(edges[1:-1], y_prob)
    counts = np.bincount(which, minlength=n_bins)
    means = np.bincount(which, weights=y_prob, minlength=n_bins)[counts != 0]
    counts = counts[counts != 0]
    # (another scikit-learn's binning: the counts are not known, rather than wrong)
    same = counts.size == prob_pred.size and np.allclose(means / counts, prob_pred)
    return prob_true, prob_pred, (counts if same else None)


# ---------------------------------------------------------------------------
# Error over time
# ---------------------------------------------------------------------------


def _undated_example(dates) -> str:
    """``", e.g. row 0: 1583159400 (a count of seconds ...)"``: the first value given (its
    row named by a Series' index label, as the day/month error names it), and how to convert
    it where it is a number (epoch dates given as numbers)."""
    from skbucket._cells import _is_missing
    from skbucket.dates import _epoch_hint

    values = np.asarray(dates, dtype=object).ravel()
    shown = next(((i, v) for i, v in enumerate(values) if not _is_missing(v)), None)
    if shown is None:
        return " (all missing)"
    row: int | str  # the position, or the label's repr below
    row, value = shown
    labels = dates.index if hasattr(dates, "iloc") else None  # a pandas Series'
    if labels is not None and len(labels) == len(values):
        row = repr(plain(labels[row]))
    text = f", e.g. row {row}: {value!r:.60}"
    numeric = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    if numeric or (isinstance(value, str) and value.strip().isdigit()):
        text += f" ({_epoch_hint(value)})"
    return text


def _read_plot_dates(dates, dayfirst):
    """``(when, dates)``: ``dates`` (one column of a frame or a 2-D array read as its column)
    read as :meth:`ErrorOverTimeDisplay.from_predictions` reads them (naive UTC, NaT where
    unreadable), and as it was given; a :class:`PlotInputError` when they cannot draw the plot
    (none given, not one-dimensional, day/month orders mixed, no date readable). The report
    calls it before predicting, so explicit dates that cannot be drawn fail first."""
    import pandas as pd

    from skbucket.dates import read_dates

    if dates is None:  # from_estimator's default, which reads X's column: none here
        raise PlotInputError(
            "dates is None: from_predictions needs the posting date of each row (an "
            "array-like, as long as y_true); from_estimator reads X's date column."
        )
    if isinstance(dates, pd.DataFrame):  # one column of dates, as y_true may be
        if dates.shape[1] != 1:
            raise PlotInputError(
                f"dates must be one column of dates; got a DataFrame with {dates.shape[1]} "
                f"columns {list(dates.columns)[:8]}."
            )
        dates = dates.iloc[:, 0]
    ndim = np.ndim(dates) if isinstance(dates, np.ndarray | np.generic) else None
    if ndim == 2 and dates.shape[1] == 1:  # one column of dates, as y_true may be
        dates = dates[:, 0]
    elif ndim is not None and ndim != 1:  # pyarrow's "only handle 1-dimensional arrays"
        raise PlotInputError(
            f"dates must be one-dimensional (a date per row), got shape {np.shape(dates)}."
        )
    column = getattr(dates, "name", None)  # a DataFrame's column: its name in errors
    when = read_dates(  # naive UTC; NaT where unreadable; day/month-mixed: an error
        dates,
        dayfirst=dayfirst,
        column="dates" if column is None or column == "" else column,
        error=PlotInputError,
    )
    dated = when.notna().to_numpy()
    if not dated.any():
        raise PlotInputError(
            f"none of the {dated.size} dates could be read as a date{_undated_example(dates)}."
        )
    return when, dates


class ErrorOverTimeDisplay:
    """One error metric per calendar period (month, week, ...).

    Parameters
    ----------
    periods : pandas.PeriodIndex
        The periods, in order.
    values : ndarray of shape (n_periods,)
        The metric in each period.
    counts : ndarray of shape (n_periods,)
        Rows in each period.
    metric : str
        Name of the metric (a key of :func:`skbucket.metrics.evaluate`).
    n_undated : int, default=0
        Rows left out because their date is missing or unreadable (noted on the plot).
    n_timeless : int, default=0
        Rows left out of periods shorter than a day (``freq="h"``) because their date has no
        time of day (``2020-06-15``; see :func:`skbucket.dates.timeless`): their hour is
        not known, and midnight would be a guess (noted on the plot).

    Attributes
    ----------
    line_ : matplotlib Line2D
        The metric per period (NaN, a gap, over periods without posts).
    counts_ax_ : matplotlib Axes or None
        The second y axis of the posts per period (``None`` with ``show_counts=False``).
    count_bars_ : matplotlib BarContainer or None
        The posts per period (above 60 periods, where the bars touch, a bar for each period
        with posts only: an empty one has no height).
    ax_ : matplotlib Axes
        Axes the display was drawn on.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from skbucket.plotting import ErrorOverTimeDisplay
    >>> disp = ErrorOverTimeDisplay.from_predictions(
    ...     [1, 10, 100], [1, 20, 100], ["2020-01-03", "2020-01-20", "2020-03-01"],
    ...     ax=Figure().subplots())
    >>> [str(p) for p in disp.periods], disp.counts.tolist()
    (['2020-01', '2020-03'], [2, 1])
    """

    def __init__(self, *, periods, values, counts, metric, n_undated=0, n_timeless=0):
        self.periods = periods
        self.values = values
        self.counts = counts
        self.metric = metric
        self.n_undated = n_undated
        self.n_timeless = n_timeless

    def plot(self, ax=None, *, name=None, line_kwargs=None, show_counts=True):
        """Draw the metric per period (start of each period on the x axis).

        The line breaks over periods without posts (it does not bridge them), and light bars
        on a second axis, each centred on its point, give the posts behind each point (a
        point on 14 posts is noisier than one on 70); above 60 periods the bars touch and
        are outlined along their tops. With few periods (12 or fewer) each gets a tick
        labelled with it. The legend (with the bars) sits in a band at the top of the axes
        that the line and the bars are kept below, sized to the legend when it is drawn: a
        layout that later shrinks the axes much (``tight_layout`` on a small figure) can
        leave it overlapping their tops.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when ``None``.
        name : str, default=None
            The model's name in the legend (``None``: the metric's). A second model drawn
            on the same axes (these axes, not others sharing their x axis) gets the next
            colour, marker and line style (``tab:blue``
            circles on a solid line, ``tab:orange`` triangles dashed, ``tab:green`` squares
            dotted, ``tab:red`` diamonds dash-dotted), told apart in shape too, not by
            colour alone; name both.
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` (the line, with a marker per period by default).
        show_counts : bool, default=True
            Draw the posts per period as bars on a second y axis (``counts_ax_``); not
            again where a model drawn on the same axes drew them (those bars stay, and this
            display's ``counts_ax_`` is None).

        Returns
        -------
        display : ErrorOverTimeDisplay
        """
        import pandas as pd

        from .metrics import METRIC_DESCRIPTIONS

        fig, ax = _new_ax(ax)
        periods = self.periods
        values = np.asarray(self.values, dtype=float)
        counts = np.asarray(self.counts, dtype=float)
        if len(periods) > 1:
            # empty periods as gaps in the line, when the periods lie on one grid from the
            # first (from_predictions aligns a multiplied frequency such as "2W"; periods
            # given to the display by hand may not be) and the run between them is not huge
            step = periods.freq.n
            span = (periods.max().ordinal - periods.min().ordinal) // step + 1
            if span <= _MAX_PERIODS:
                every = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
                where = every.get_indexer(periods)
                if (where >= 0).all():
                    values, counts = (np.full(len(every), np.nan) for _ in range(2))
                    values[where] = np.asarray(self.values, dtype=float)
                    counts[where] = np.asarray(self.counts, dtype=float)
                    periods = every
            else:
                # a long run (hours over years: 12,236 hours with posts in 41,087): no point
                # per empty period, but one empty period after each run of posts, so that the
                # line breaks there too (it bridged 28,851 empty hours)
                ordinals = periods.asi8
                steps = np.diff(ordinals)
                if (steps > 0).all() and (steps % step == 0).all():
                    after = np.flatnonzero(steps > step)
                    periods = pd.PeriodIndex.from_ordinals(
                        np.insert(ordinals, after + 1, ordinals[after] + step), freq=periods.freq
                    )
                    values = np.insert(values, after + 1, np.nan)
                    counts = np.insert(counts, after + 1, np.nan)
        starts = periods.to_timestamp(how="start")
        spans = (periods + 1).to_timestamp(how="start") - starts
        x = starts.to_pydatetime()
        # the models drawn on these axes before: the next colour, marker and line style; the
        # posts per period drawn once (the first model's bars stand for the posts)
        earlier = [line for line in ax.get_lines() if line.get_gid() == "skbucket-error"]
        # limits the user set on these axes (not the band's of a model drawn before): kept
        user_limits = not ax.get_autoscaley_on() and ax.get_ylim() != getattr(
            ax, "_skbucket_band_ylim", None
        )
        drawn = getattr(ax, "_skbucket_counts", None)  # (its twin axes, the bars) if any
        if drawn is not None and not earlier:
            # the axes were cleared (ax.cla()) since those bars were drawn: no model's line
            # is left that they stand for, and their twin axes, now under the axes' own
            # face again, showed nothing while the legend listed them and the right axis
            # kept the old counts' scale; they go, and this model's bars are drawn
            if drawn[0] in ax.figure.axes:
                drawn[0].remove()
            del ax._skbucket_counts
            drawn = None
        self.counts_ax_, self.count_bars_ = None, None
        if show_counts and len(periods) and drawn is None:
            self.counts_ax_ = ax.twinx()
            # each bar centred on its period's point (a bar from the point on read as the
            # next point's); many periods (more than 60): bars that touch, outlined along
            # their tops only, where each bar's outline merged into a dark block
            dense = len(periods) > _DENSE_PERIODS
            widths = spans * (1.0 if dense else 0.8)
            heights = np.nan_to_num(counts)  # the posts per period
            # many periods: a bar for each period with posts only; an empty one is a bar of
            # height 0 without an outline there (the stairs below draw the tops), and one per
            # empty month of posts spread over 500 years took 20 s to draw
            shown = np.flatnonzero(heights > 0) if dense else slice(None)
            # light bars (the line reads above them), outlined in a grey that holds 4:1 against
            # white (the 0.85 fill alone had 1.4:1, and faded in print)
            self.count_bars_ = self.counts_ax_.bar(
                np.asarray(x)[shown],
                heights[shown],
                width=widths[shown],
                align="center",
                color="0.88",
                edgecolor="0.5",
                linewidth=0.0 if dense else 0.6,
                zorder=0,
                label="Posts per period (right axis)",
            )
            if dense:
                half = spans / 2
                # a run of periods of one height (the empty ones between posts) as one step:
                # the same outline, without a step per empty month of 500 years
                steps = np.flatnonzero(np.r_[True, heights[1:] != heights[:-1]])
                edges = [*(starts - half)[steps], starts[-1] + half[-1]]
                self.counts_ax_.stairs(
                    heights[steps],
                    [pd.Timestamp(e).to_pydatetime() for e in edges],
                    baseline=None,
                    color="0.5",
                    linewidth=0.6,
                    zorder=0.5,
                )
            self.counts_ax_.set_ylabel("Posts per period", color="0.45")
            self.counts_ax_.tick_params(axis="y", colors="0.45")
            ax.set_zorder(self.counts_ax_.get_zorder() + 1)  # the line above the bars
            ax.patch.set_visible(False)
        k = len(earlier)
        self.line_ = ax.plot(
            x,
            values,
            **_style(
                {
                    "marker": _MODEL_MARKERS[k % len(_MODEL_MARKERS)],
                    "color": _MODEL_COLOURS[k % len(_MODEL_COLOURS)],
                    "linestyle": ("-", "--", ":", "-.")[k % 4],
                    "label": METRIC_DESCRIPTIONS.get(self.metric, self.metric)
                    if name is None
                    else str(name),
                },
                line_kwargs,
            ),
        )[0]
        self.line_.set_gid("skbucket-error")  # what tells a later model this one is here
        if self.count_bars_ is not None:
            ax._skbucket_counts = (self.counts_ax_, self.count_bars_)
            drawn = ax._skbucket_counts
        counts_ax, bars = drawn if drawn is not None else (None, None)
        lines = [*earlier, self.line_]
        if bars is not None or name is not None or earlier:
            # which mark reads on which axis, and which line is which model: said in words
            _legend_in_band(ax, lines, bars, counts_ax, keep_limits=user_limits)
        if 0 < len(periods) <= 12:  # a tick, and its label, for every period
            ax.set_xticks(x, [str(p) for p in periods])
            if len(periods) == 1:  # the point (and the bar centred on it) in the middle
                ax.set_xlim(x[0] - 1.5 * spans[0], x[0] + 1.5 * spans[0])
        unit = _period_word(periods) or f"Period ({getattr(periods, 'freqstr', '')})"
        ax.set(xlabel=unit, ylabel=METRIC_DESCRIPTIONS.get(self.metric, self.metric))
        left_out = [
            f"{count} row(s) {what} left out"
            for count, what in (
                (self.n_undated, "without a readable date"),
                (getattr(self, "n_timeless", 0), "dated without a time of day"),
            )
            if count
        ]
        if left_out:
            ax.annotate(
                "; ".join(left_out), xy=(0.01, 0.01), xycoords="axes fraction", fontsize="small"
            )
        for label in ax.get_xticklabels():
            label.set(rotation=30, horizontalalignment="right")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        dates=None,
        date_column="date",
        freq="M",
        metric="mae_log1p",
        dayfirst=None,
        name=None,
        ax=None,
        line_kwargs=None,
        show_counts=True,
    ):
        """Error of ``estimator.predict(X)`` per period.

        Parameters
        ----------
        estimator : fitted regressor
            ``BucketedRegressor``, ``Pipeline`` ending in one, or any regressor.
        X : array-like or DataFrame
            Input rows.
        y : array-like of shape (n_samples,)
            True like counts.
        dates : array-like of shape (n_samples,), default=None
            Posting date of each row; when ``None`` ``X[date_column]`` is used.
        date_column : str, default="date"
            Column of ``X`` holding the dates when ``dates`` is ``None``; a role name the
            estimator's :class:`~skbucket.pipeline.ColumnRoles` step gives another column
            (``make_seed_pipeline(columns={"date": "posted_at"})``) is read from that column,
            as the model reads it.
        dayfirst : bool or None, default=None
            See :meth:`from_predictions`; ``None`` reads dates as the estimator does (its
            ``dayfirst`` parameter, e.g. ``make_seed_pipeline(dayfirst=True)``).
        freq, metric, name, ax, line_kwargs, show_counts
            See :meth:`from_predictions`. The bucket metrics score the routing classifier's
            buckets (``predict_bucket``) when the estimator has one, as
            :func:`skbucket.metrics.evaluate_estimator` and the report do.

        Returns
        -------
        display : ErrorOverTimeDisplay
        """
        require_matplotlib()  # before the predictions (a captioner: minutes)
        if dayfirst is None:
            dayfirst = model_dayfirst(estimator)
        if isinstance(dates, str):  # "dates has 1 rows but y_true has 150"
            raise PlotInputError(
                f"dates={dates!r} is one string, not a date per row; to read the dates from a "
                f"column of X, pass date_column={dates!r} (and no dates)."
            )
        if dates is None:
            from skbucket.pipeline import _column_of_role

            date_column = _column_of_role(estimator, date_column)
            columns = getattr(X, "columns", None)
            if columns is None or date_column not in columns:
                raise PlotInputError(
                    f"no dates given and X has no {date_column!r} column; pass dates=."
                )
            dates = X[date_column]
        y_pred, bucket_pred, _ = _predict_once(estimator, X)  # features computed once
        return cls.from_predictions(
            y, y_pred, dates, bins=final_bins(estimator), freq=freq, metric=metric,
            dayfirst=dayfirst, bucket_pred=bucket_pred, name=name, ax=ax, line_kwargs=line_kwargs,
            show_counts=show_counts,
        )  # fmt: skip

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        dates,
        *,
        bins=None,
        freq="M",
        metric="mae_log1p",
        dayfirst=False,
        bucket_pred=None,
        name=None,
        ax=None,
        line_kwargs=None,
        show_counts=True,
    ):
        """Error of predicted likes per period of ``dates``.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n_samples,)
            True and predicted like counts.
        dates : array-like of shape (n_samples,)
            Posting dates, read as the estimators read them
            (:func:`skbucket.dates.parse_dates`: ISO 8601, other formats, ``datetime64``
            columns; time zones converted to UTC). Rows whose date is missing or unreadable
            are left out (counted in ``n_undated`` and noted on the plot), and so are, from
            periods shorter than a day (``freq="h"``), dates without a time of day
            (``2020-06-15``; counted in ``n_timeless``); dates that mix
            day/month orders (``13/04/2021`` beside ``03/04/2021``) raise
            :class:`PlotInputError`, as the estimators raise.
        bins : sequence of numbers, default=None
            Bucket edges for the bucket metrics.
        freq : str, default="M"
            pandas period frequency: ``"M"`` month, ``"W"`` week, ``"D"`` day... A multiple
            such as ``"2M"`` groups the periods two by two on one grid from 1970 (January and
            February, March and April, ...), each labelled by its first period.
        metric : str, default="mae_log1p"
            Key of :func:`skbucket.metrics.evaluate` (``"rmse"``,
            ``"rmse_log1p"``, ``"bucket_accuracy"``...).
        dayfirst : bool, default=False
            Read ambiguous numeric dates (``03/04/2021``) day first, as a model fitted with
            ``dayfirst=True`` does.
        bucket_pred : array-like of shape (n_samples,), default=None
            Bucket chosen for each row (e.g. a routing classifier's ``predict_bucket``), scored
            by the bucket metrics; ``None`` scores the buckets of ``y_pred``, as
            :func:`skbucket.metrics.evaluate` does.
        name, ax, line_kwargs, show_counts
            See :meth:`plot`.

        Returns
        -------
        display : ErrorOverTimeDisplay
        """
        import pandas as pd

        if metric not in METRIC_NAMES or metric == "n_samples":
            choices = [m for m in METRIC_NAMES if m != "n_samples"]
            raise PlotInputError(f"metric must be one of {choices}, got {metric!r}.")
        y_true, y_pred = _check_likes(y_true, y_pred)
        _check_freq(freq)  # before every date is read
        clipped = _clip_negative(y_pred)  # warn once here, not once per period
        from skbucket.dates import timeless

        when, dates = _read_plot_dates(dates, dayfirst)
        if when.shape[0] != y_true.shape[0]:
            raise PlotInputError(
                f"dates has {when.shape[0]} rows but y_true has {y_true.shape[0]}."
            )
        dated = when.notna().to_numpy()
        one = pd.Period("2000-01-01", freq=freq)
        n_timeless = 0
        if one.end_time - one.start_time < pd.Timedelta(hours=23):
            # an hour (or shorter) period: a day's date read as midnight is no 00:00 post
            days = timeless(dates, when, dayfirst=dayfirst) & dated
            n_timeless = int(days.sum())
            if n_timeless == dated.sum():
                raise PlotInputError(
                    f"freq={freq!r} is shorter than a day, but none of the {n_timeless} dates "
                    "has a time of day (e.g. 2020-06-15); use freq='D' or longer."
                )
            dated = dated & ~days
        bin_edges = _resolve_bins(bins)
        if bucket_pred is not None:
            # checked whole, so an error names the row of the input (not of its period)
            bucket_pred = _check_buckets(bucket_pred, y_true.shape[0], len(bin_edges) + 1)
            bucket_pred = bucket_pred[dated]
        y_true, y_pred, clipped = y_true[dated], y_pred[dated], clipped[dated]
        when = when[dated]
        period = when.dt.to_period(freq)
        step = period.dt.freq.n
        if step > 1:
            # pandas starts a multiplied period ("2M") at each post's own month, so posts a
            # month apart never shared one; align them on one grid from 1970 (Jan-Feb,
            # Mar-Apr, ...; two-day spans from 1 January 1970), as a fixed bin width does
            ordinals = period.array.asi8
            period = pd.Series(
                pd.PeriodIndex.from_ordinals(ordinals - ordinals % step, freq=period.dt.freq),
                index=period.index,
            )
        # integer codes, rows grouped by a stable sort (each period's rows in their order):
        # comparing the Period objects to each period in turn cost rows x periods Python
        # comparisons (27 s for 10^6 rows over 57 months)
        codes, uniques = pd.factorize(period, sort=True)
        order = pd.PeriodIndex(uniques, freq=period.dt.freq)
        rows = np.argsort(codes, kind="stable")
        edges = np.searchsorted(codes[rows], np.arange(len(order) + 1))
        values, counts = [], []
        # the input is checked (and the clipping said) once above: each period computes only
        # its one metric, as evaluate() would (evaluate in full cost ~5 ms a period: 10 s for
        # 15k posts over 1,712 days)
        for start, stop in zip(edges[:-1], edges[1:]):
            take = rows[start:stop]
            buckets = None if bucket_pred is None else bucket_pred[take]
            scores = _scores(
                y_true[take], y_pred[take], clipped[take], buckets, bin_edges, names=(metric,)
            )
            values.append(scores[metric])
            counts.append(int(stop - start))
        disp = cls(
            periods=order,
            values=np.array(values),
            counts=np.array(counts),
            metric=metric,
            n_undated=int((~dated).sum()) - n_timeless,
            n_timeless=n_timeless,
        )
        return disp.plot(ax=ax, name=name, line_kwargs=line_kwargs, show_counts=show_counts)


#: Longest run of periods the error-over-time line is drawn with gaps for its empty periods.
_MAX_PERIODS = 10_000
#: The x axis label of the error-over-time plot for each period frequency.
_PERIOD_WORDS = {
    "D": "Day",
    "W": "Week (start)",
    "M": "Month",
    "Q": "Quarter",
    "Y": "Year",
    "A": "Year",
    "H": "Hour",
    "MIN": "Minute",
    "S": "Second",
}


#: above this many periods the count bars touch and are outlined along their tops only
_DENSE_PERIODS = 60
#: the error-over-time plot keeps a band for its legend at the top of its axes, that neither
#: the line nor the bars reach: the legend's height and this fraction of the axes' more
_LEGEND_PAD = 0.05


def _legend_in_band(ax, lines, bars, counts_ax, keep_limits=False):
    """The error-over-time legend, in a band kept free above the lines and the bars, of the
    legend's height (``loc="best"`` saw the line only: it covered the bars of the second
    axis); in one row where the axes are wide enough, else in one column; a title stays free.
    Limits the user set on the axes, or a y scale that is not linear, are kept as they are
    (the legend is placed, no band made)."""
    handles = [*lines, *([] if bars is None else [bars])]
    for ncols in (len(handles), 1):
        legend = ax.legend(
            handles,
            [h.get_label() for h in handles],
            loc="upper center",
            ncols=ncols,
            fontsize="small",
            framealpha=0.85,
        )
        box, frame = legend.get_window_extent(), ax.get_window_extent()
        if box.width <= frame.width:
            break
    band = min(box.height / max(frame.height, 1.0) + _LEGEND_PAD, 0.5)
    if keep_limits or ax.get_yscale() != "linear":
        return
    if bars is not None:
        heights = [patch.get_height() for patch in bars]
        counts_ax.set_ylim(0, max([*heights, 1.0]) / (1 - band))
    # the lines' own range (again: a second model's line may reach past the first's)
    ax.set_autoscaley_on(True)
    ax.relim()
    ax.autoscale_view(scalex=False)
    low, high = ax.get_ylim()
    ax.set_ylim(low, low + (high - low) / (1 - band))
    ax._skbucket_band_ylim = ax.get_ylim()  # ours, not the user's: a later model may move them


def _period_word(periods):
    """The word for the frequency of ``periods`` (a PeriodIndex): ``"Month"``, ``"Week
    (start)"``; None for a frequency without one."""
    freq = getattr(periods, "freqstr", "")
    return _PERIOD_WORDS.get(freq.split("-")[0].upper())


def model_dayfirst(estimator, default=False):
    """The ``dayfirst`` an estimator reads dates with (that of its first part with a
    ``dayfirst`` parameter, as :func:`skbucket.make_seed_pipeline` sets them all alike; of a
    fitted pipeline, its fitted copies' own), else ``default`` (an estimator that reads no
    dates)."""
    from ._models import estimators_in_use

    for _, part in estimators_in_use(estimator):
        params = part.get_params(deep=False) if hasattr(part, "get_params") else {}
        if "dayfirst" in params:
            return bool(params["dayfirst"])
    return default
