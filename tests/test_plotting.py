"""Tests for the Display objects of skbucket.plotting."""

from __future__ import annotations

import datetime
import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skbucket.bucketed import BucketedRegressor, assign_buckets
from skbucket.metrics import bucket_labels
from skbucket.plotting import (
    BucketCalibrationDisplay,
    BucketConfusionMatrixDisplay,
    BucketErrorDisplay,
    ErrorOverTimeDisplay,
    LikesPredictionDisplay,
    PlotInputError,
)

LABELS = bucket_labels()


def _ax():
    return Figure().subplots()


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 8, size=(300, 3))
    y = np.round(np.expm1(X[:, 0] + rng.normal(0, 0.3, 300)).clip(0))
    dates = pd.date_range("2020-01-01", periods=300, freq="D")
    return X, y, dates


def _bucketed():
    return BucketedRegressor(
        DecisionTreeClassifier(max_depth=3, random_state=0), Ridge(), clip=True
    )


@pytest.fixture(scope="module")
def model(data):
    X, y, _ = data
    return _bucketed().fit(X, y)


@pytest.fixture(scope="module")
def pipe(data):
    X, y, _ = data
    return make_pipeline(StandardScaler(), _bucketed()).fit(X, y)


# ----------------------------------------------------------------- LikesPredictionDisplay
def test_prediction_display_from_predictions():
    y_true = np.array([0, 5, 50, 500, 5000.0])
    y_pred = np.array([1, 4, 80, 300, 9000.0])
    disp = LikesPredictionDisplay.from_predictions(y_true, y_pred, ax=_ax())
    ax = disp.ax_
    assert disp.figure_ is ax.figure
    assert ax.get_xscale() == "symlog" and ax.get_yscale() == "symlog"
    np.testing.assert_array_equal(disp.scatter_.get_offsets(), np.c_[y_true, y_pred])
    xs, ys = disp.line_.get_data()
    np.testing.assert_array_equal(xs, ys)  # the diagonal
    assert xs[0] == 0 and xs[-1] == 9000
    assert len(disp.bin_lines_) == 2 * 6
    assert ax.get_xlabel() == "Actual likes" and ax.get_ylabel() == "Predicted likes"


def test_many_points_are_drawn_fainter_and_smaller():
    # 200,000 points at the 0.5 alpha of a few hundred were one solid blue mass
    rng = np.random.default_rng(0)
    y = np.round(np.expm1(rng.uniform(0, 9, 200_000)))
    few = LikesPredictionDisplay.from_predictions(y[:500], y[:500], ax=_ax()).scatter_
    # a few points 3:1 against white (WCAG's least for a graphic; 0.5 had 2:1)
    assert few.get_alpha() == 0.75 and few.get_sizes().tolist() == [12]
    many = LikesPredictionDisplay.from_predictions(y, y, ax=_ax()).scatter_
    assert many.get_alpha() <= 0.06 and many.get_sizes().max() <= 2
    assert list(many.get_linewidths()) == [0]
    middle = LikesPredictionDisplay.from_predictions(y[:8_000], y[:8_000], ax=_ax()).scatter_
    assert many.get_alpha() < middle.get_alpha() < few.get_alpha()
    given = LikesPredictionDisplay.from_predictions(
        y, y, ax=_ax(), scatter_kwargs={"alpha": 0.9, "s": 30}
    ).scatter_
    assert given.get_alpha() == 0.9 and given.get_sizes().tolist() == [30]
    # an outline width given under any of its names replaces the default 0 ("Got both
    # 'linewidth' and 'linewidths'")
    for key, width in (("linewidth", 1), ("lw", 2), ("linewidths", 3)):
        drawn = LikesPredictionDisplay.from_predictions(
            y, y, ax=_ax(), scatter_kwargs={key: width}
        ).scatter_
        assert list(drawn.get_linewidths()) == [width], key


def test_prediction_display_from_estimator_and_subsample(data, model):
    X, y, _ = data
    disp = LikesPredictionDisplay.from_estimator(model, X, y, ax=_ax(), show_bins=False)
    np.testing.assert_allclose(disp.scatter_.get_offsets()[:, 1], model.predict(X))
    assert disp.bin_lines_ == []
    sub = LikesPredictionDisplay.from_estimator(model, X, y, subsample=50, random_state=0, ax=_ax())
    assert sub.scatter_.get_offsets().shape == (50, 2)
    assert LikesPredictionDisplay.from_predictions(y, y, subsample=0.1, ax=_ax()).y_true.size == 30
    # random_state=None follows np.random.seed, as scikit-learn's displays do (it took fresh
    # entropy: a notebook's seeded plot changed on every run)
    drawn = []
    for _ in range(2):
        np.random.seed(0)  # noqa: NPY002 (the legacy global seed is what is tested)
        drawn.append(
            LikesPredictionDisplay.from_predictions(y, y * 2, subsample=10, ax=_ax()).y_true
        )
    np.testing.assert_array_equal(*drawn)
    with pytest.raises(PlotInputError, match="subsample"):
        LikesPredictionDisplay.from_predictions(y, y, subsample=1.5, ax=_ax())
    # numpy scalars keep their meaning: np.float32(0.1) is a fraction, not int(0.1) == 0 points
    small = LikesPredictionDisplay.from_predictions(y, y, subsample=np.float32(0.1), ax=_ax())
    assert small.y_true.size == 30
    assert (
        LikesPredictionDisplay.from_predictions(y, y, subsample=np.int64(7), ax=_ax()).y_true.size
        == 7
    )
    for wrong in ("50", True, [50]):
        with pytest.raises(PlotInputError, match="subsample must be None, an int"):
            LikesPredictionDisplay.from_predictions(y, y, subsample=wrong, ax=_ax())


def test_prediction_display_without_ax_uses_pyplot():
    import matplotlib.pyplot as plt

    disp = LikesPredictionDisplay.from_predictions([1, 2, 3], [1, 2, 4])
    try:
        assert disp.figure_ in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plt.close(disp.figure_)


def test_prediction_display_rasterises_many_points_in_vector_files():
    from matplotlib.figure import Figure

    from skbucket.plotting import RASTERIZE_ABOVE

    rng = np.random.default_rng(0)
    sizes = {}
    for n, kwargs in ((RASTERIZE_ABOVE, None), (20_000, None), (20_000, {"rasterized": False})):
        y = rng.integers(0, 5_000, n).astype(float)
        fig = Figure()
        disp = LikesPredictionDisplay.from_predictions(
            y, y * 1.1, ax=fig.subplots(), scatter_kwargs=kwargs
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
        svg = buf.getvalue().decode()
        sizes[n, disp.scatter_.get_rasterized()] = len(svg)
        assert ("<image" in svg) == disp.scatter_.get_rasterized()
        assert "Actual likes" in svg  # the axes stay vector text
    # up to RASTERIZE_ABOVE points stay vector; more are one image unless the user says not
    assert set(sizes) == {(RASTERIZE_ABOVE, False), (20_000, True), (20_000, False)}
    assert sizes[20_000, True] * 10 < sizes[20_000, False]


# ----------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts_equal_sklearn(data):
    _, y, _ = data
    rng = np.random.RandomState(1)
    y_pred = y * rng.uniform(0.3, 3, y.size)
    disp = BucketConfusionMatrixDisplay.from_predictions(y, y_pred, ax=_ax())
    expected = confusion_matrix(assign_buckets(y), assign_buckets(y_pred), labels=range(7))
    np.testing.assert_array_equal(disp.confusion_matrix, expected)
    assert disp.text_.shape == (7, 7)
    assert disp.text_[2, 3].get_text() == str(expected[2, 3])
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == LABELS
    assert disp.ax_.get_xlabel() == "Predicted bucket (likes)"


def test_confusion_matrix_normalized_rows_sum_to_one(data):
    _, y, _ = data
    y_pred = np.roll(y, 3)
    disp = BucketConfusionMatrixDisplay.from_predictions(y, y_pred, normalize="true", ax=_ax())
    counts = np.bincount(assign_buckets(y), minlength=7)
    np.testing.assert_allclose(disp.confusion_matrix.sum(axis=1)[counts > 0], 1.0)
    expected = confusion_matrix(
        assign_buckets(y), assign_buckets(y_pred), labels=range(7), normalize="true"
    )
    np.testing.assert_allclose(disp.confusion_matrix, expected)


def test_normalised_shares_are_written_with_two_decimals_unless_told_otherwise():
    # scikit-learn's ".2g" wrote "0.7" beside "0.015" and "1.3e-05" in one matrix
    y = np.array([5, 5, 5, 50, 50, 200, 200, 200, 200, 200, 200, 200.0])
    pred = np.array([5, 50, 5, 50, 5, 200, 200, 200, 200, 200, 200, 5.0])
    texts = {
        t.get_text()
        for t in BucketConfusionMatrixDisplay.from_predictions(
            y, pred, normalize="true", ax=_ax()
        ).text_.ravel()
        if t is not None
    }
    assert {"0.67", "0.33", "0.50", "0.86", "0.14", "0.00"} <= texts, texts
    disp = BucketConfusionMatrixDisplay.from_predictions(
        y, pred, normalize="true", values_format=".1%", ax=_ax()
    )
    assert "66.7%" in {t.get_text() for t in disp.text_.ravel() if t is not None}
    counts = BucketConfusionMatrixDisplay.from_predictions(y, pred, ax=_ax())
    assert "6" in {t.get_text() for t in counts.text_.ravel() if t is not None}


def test_a_normalised_row_without_posts_is_a_dash_not_zeros():
    """A true bucket with no posts showed a row of 0.00, read as a bucket never got right."""
    disp = BucketConfusionMatrixDisplay.from_predictions(
        [3, 50, 50], [3, 50, 400], normalize="true", values_format=".2f", ax=_ax()
    )
    texts = [[t.get_text() for t in row] for row in disp.text_]
    assert texts[0][0] == "1.00" and texts[1][1] == texts[1][3] == "0.50" and texts[1][0] == "0.00"
    assert all(cell == "–" for k in (2, 3, 4, 5, 6) for cell in texts[k])
    by_pred = BucketConfusionMatrixDisplay.from_predictions(
        [3, 50, 50], [3, 50, 400], normalize="pred", values_format=".2f", ax=_ax()
    )
    assert [t.get_text() for t in by_pred.text_[:, 2]] == ["–"] * 7  # nothing predicted there
    counts = BucketConfusionMatrixDisplay.from_predictions([3, 50, 50], [3, 50, 400], ax=_ax())
    assert counts.text_[2, 2].get_text() == "0"  # counts: a true zero


def test_the_colour_bar_says_what_its_colours_count():
    y, pred = [3, 50, 50], [3, 50, 400]
    labels = {
        normalize: BucketConfusionMatrixDisplay.from_predictions(
            y, pred, normalize=normalize, ax=_ax()
        ).im_.colorbar.ax.get_ylabel()
        for normalize in (None, "true", "pred", "all")
    }
    assert labels == {
        None: "Posts",
        "true": "Share of the true bucket's posts",
        "pred": "Share of the predicted bucket's posts",
        "all": "Share of all posts",
    }
    weighted = BucketConfusionMatrixDisplay.from_predictions(y, pred, sample_weight=[1, 2, 1])
    assert weighted.im_.colorbar.ax.get_ylabel() == "Posts (weighted)"


def test_many_buckets_get_upright_labels():
    bins = np.geomspace(2, 20_000, 15)
    disp = BucketConfusionMatrixDisplay.from_predictions([1, 50, 900], [1, 60, 9], bins=bins)
    assert {t.get_rotation() for t in disp.ax_.get_xticklabels()} == {90.0}
    seven = BucketConfusionMatrixDisplay.from_predictions([1, 50, 900], [1, 60, 9], ax=_ax())
    assert {t.get_rotation() for t in seven.ax_.get_xticklabels()} == {45.0}


def test_negative_predictions_do_not_stretch_the_actual_axis_below_zero():
    disp = LikesPredictionDisplay.from_predictions([0, 10, 100], [-500, 10, 100], ax=_ax())
    assert disp.line_.get_xdata()[0] == 0
    assert disp.ax_.get_xlim()[0] > -10 and disp.ax_.get_ylim()[0] < -100
    # bucket edges are drawn where the data is, and do not widen the axes to 2,500
    small = LikesPredictionDisplay.from_predictions([0, 3, 9], [1, 4, 8], ax=_ax())
    assert small.ax_.get_xlim()[1] < 100 and small.ax_.get_ylim()[1] < 100


def test_a_normalised_matrix_drawn_again_keeps_its_dashes_and_colorbar_label():
    """plot() on new axes drew a row of 0 for a bucket with no true posts (the dash was set
    by from_predictions only) and lost the colorbar's label."""
    disp = BucketConfusionMatrixDisplay.from_predictions(
        [1, 2, 3], [1, 200, 3], normalize="true", ax=_ax()
    )
    for drawn in (disp, disp.plot(ax=_ax())):
        assert {t.get_text() for t in drawn.text_[1, :]} == {"–"}
        assert drawn.text_[0, 0].get_text() != "–"
        assert drawn.im_.colorbar.ax.get_ylabel() == "Share of the true bucket's posts"
    by_pred = BucketConfusionMatrixDisplay.from_predictions(
        [1, 2, 3], [1, 200, 3], normalize="pred", ax=_ax()
    ).plot(ax=_ax())
    assert {t.get_text() for t in by_pred.text_[:, 1]} == {"–"}  # no post predicted 11-100
    assert by_pred.im_.colorbar.ax.get_ylabel() == "Share of the predicted bucket's posts"


def test_text_size_under_either_name_with_many_buckets_and_a_figure_sized_for_them():
    """text_kw={"size": 4} beside the default fontsize made above 7 buckets: "Got both size
    and fontsize, which are aliases of one another"."""
    import matplotlib.pyplot as plt

    bins = [1, 3, 10, 30, 100, 300, 1000, 3000]
    for key in ("size", "fontsize"):
        disp = BucketConfusionMatrixDisplay.from_predictions(
            [1, 50, 500], [2, 40, 700], bins=bins, text_kw={key: 4}, ax=_ax()
        )
        assert disp.text_[0, 0].get_fontsize() == 4
    many = np.unique(np.round(np.geomspace(2, 100000, 20)))
    disp = BucketConfusionMatrixDisplay.from_predictions([1, 5000], [2, 4000], bins=many)
    try:  # its own figure, wider than matplotlib's default 6.4 inches for 21 buckets
        assert disp.figure_.get_size_inches()[0] > 12
    finally:
        plt.close(disp.figure_)
    default = BucketConfusionMatrixDisplay.from_predictions([1, 5000], [2, 4000])
    try:  # up to 7 buckets: matplotlib's default size, as before
        assert default.figure_.get_size_inches().tolist() == plt.rcParams["figure.figsize"]
    finally:
        plt.close(default.figure_)


def test_confusion_matrix_on_a_subfigures_axes():
    """A SubFigure (one panel of ``Figure.subfigures``) has no ``get_size_inches``: the
    matrix drawn on its axes raised AttributeError; its values are sized to the panel, as
    on a figure of the panel's size, and contrast with a dark panel behind see-through
    cells."""
    y, pred = [0, 50, 50, 3000, 200], [2, 60, 400, 2800, 150]
    whole = Figure(figsize=(12.8, 4.8))
    panel = whole.subfigures(1, 2)[1]
    disp = BucketConfusionMatrixDisplay.from_predictions(y, pred, ax=panel.subplots())
    alone = BucketConfusionMatrixDisplay.from_predictions(
        y, pred, ax=Figure(figsize=(6.4, 4.8)).subplots()
    )
    assert disp.text_[0, 0].get_fontsize() == alone.text_[0, 0].get_fontsize()
    assert disp.confusion_matrix.tolist() == alone.confusion_matrix.tolist()
    # an empty cell of a see-through colormap, on see-through axes and panel (a SubFigure's
    # default), shows the figure's own dark face: light text on it
    import matplotlib as mpl
    from matplotlib.colors import LogNorm

    clear = mpl.colormaps["viridis"].with_extremes(bad=(0, 0, 0, 0))
    ax = Figure(facecolor="black").subfigures(1, 2)[0].subplots()
    ax.set_facecolor("none")
    logged = BucketConfusionMatrixDisplay.from_predictions(
        y, y, cmap=clear, im_kw={"norm": LogNorm(vmin=1, vmax=5)}, ax=ax
    )
    assert logged.confusion_matrix[0, 1] == 0
    assert _contrast(logged.text_[0, 1].get_color(), "black") >= 4.5


def test_confusion_matrix_from_estimator_uses_classifier(data, model, pipe):
    X, y, _ = data
    disp = BucketConfusionMatrixDisplay.from_estimator(model, X, y, ax=_ax())
    expected = confusion_matrix(assign_buckets(y), model.predict_bucket(X), labels=range(7))
    np.testing.assert_array_equal(disp.confusion_matrix, expected)

    reg = BucketConfusionMatrixDisplay.from_estimator(model, X, y, source="regression", ax=_ax())
    expected_reg = confusion_matrix(
        assign_buckets(y), assign_buckets(model.predict(X)), labels=range(7)
    )
    np.testing.assert_array_equal(reg.confusion_matrix, expected_reg)

    through = BucketConfusionMatrixDisplay.from_estimator(pipe, X, y, ax=_ax())
    buckets = pipe[-1].predict_bucket(pipe[:-1].transform(X))
    np.testing.assert_array_equal(
        through.confusion_matrix, confusion_matrix(assign_buckets(y), buckets, labels=range(7))
    )


def test_confusion_matrix_bad_arguments(data):
    _, y, _ = data
    with pytest.raises(PlotInputError, match="pred_kind"):
        BucketConfusionMatrixDisplay.from_predictions(y, y, pred_kind="proba", ax=_ax())
    with pytest.raises(ValueError, match=r"\[0, 6\]"):
        BucketConfusionMatrixDisplay.from_predictions([1, 2], [0, 9], pred_kind="bucket", ax=_ax())


def test_confusion_matrix_takes_sample_weight_and_names_what_it_refuses(data, model):
    X, y, _ = data
    rng = np.random.RandomState(2)
    weight = rng.uniform(0, 3, y.size)
    disp = BucketConfusionMatrixDisplay.from_estimator(model, X, y, sample_weight=weight, ax=_ax())
    expected = confusion_matrix(
        assign_buckets(y), model.predict_bucket(X), labels=range(7), sample_weight=weight
    )
    np.testing.assert_allclose(disp.confusion_matrix, expected)
    with pytest.raises(PlotInputError, match="sample_weight"):  # before: blamed plot()
        BucketConfusionMatrixDisplay.from_predictions(y, y, sample_weight=weight[:3], ax=_ax())
    with pytest.raises(PlotInputError, match=r"sample_weight must hold numbers, not booleans"):
        BucketConfusionMatrixDisplay.from_predictions(y, y, sample_weight=weight > 1, ax=_ax())
    with pytest.raises(PlotInputError, match="display_labels cannot be given.*bins="):
        BucketConfusionMatrixDisplay.from_predictions(y, y, display_labels=["a"], ax=_ax())
    # from_estimator: bins= (which that message advised) was a TypeError, "got multiple
    # values for keyword argument 'bins'"; its own message points to from_predictions
    for given in ({"bins": (10, 100)}, {"labels": [0, 1]}):
        with pytest.raises(PlotInputError, match=r"from_estimator: .* use from_predictions\("):
            BucketConfusionMatrixDisplay.from_estimator(model, X, y, ax=_ax(), **given)
    with pytest.raises(PlotInputError, match=r"from_estimator: pred_kind cannot be given: source"):
        BucketConfusionMatrixDisplay.from_estimator(model, X, y, ax=_ax(), pred_kind="likes")


# ----------------------------------------------------------------- errors per bucket
def test_bucket_error_mae_bars_by_hand():
    y_true = np.array([0, 4, 50, 70, 3000.0])
    y_pred = np.array([1, 4, 20, 70, 1000.0])
    disp = BucketErrorDisplay.from_predictions(y_true, y_pred, kind="mae", ax=_ax())
    err = np.abs(np.log1p(y_pred) - np.log1p(y_true))
    nan = np.nan
    expected = [err[:2].mean(), err[2:4].mean(), nan, nan, nan, nan, err[4]]
    heights = [p.get_height() for p in disp.artists_.patches]
    np.testing.assert_allclose(heights, expected)  # NaN where NaN: an empty bucket has no bar
    assert np.isnan(disp.mae_[2])  # (a 0 bar would read as a perfect score)
    ticks = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert ticks[0] == "0-10\n(n=2)" and ticks[2] == "101-300\n(n=0)"


def test_bucket_error_box_from_estimator(data, model, pipe):
    X, y, _ = data
    disp = BucketErrorDisplay.from_estimator(model, X, y, ax=_ax())
    assert len(disp.artists_["boxes"]) == 7
    signed = np.log1p(model.predict(X)) - np.log1p(y)
    b = assign_buckets(y)
    np.testing.assert_allclose(disp.errors[1], signed[b == 1])
    median_line = disp.artists_["medians"][1].get_ydata()
    assert median_line[0] == pytest.approx(np.median(signed[b == 1]))
    BucketErrorDisplay.from_estimator(pipe, X, y, kind="mae", ax=_ax())
    with pytest.raises(PlotInputError, match="kind"):
        disp.plot(ax=_ax(), kind="violin")


@pytest.mark.parametrize("kind", ["box", "mae"])
def test_bucket_error_shows_every_bucket_label_whole(kind):
    """Empty end buckets (no box, no bar) left the axes ending on their ticks, the labels cut
    at the figure's edge; on half a figure's width ("plt.subplots(1, 2)") the seven labels
    ran into each other ("501-10001001-2500")."""
    y_true = np.array([20, 40, 150.0, 700, 1500])  # buckets 0 and 6 empty
    y_pred = np.array([25, 30, 160.0, 650, 1800])
    disp = BucketErrorDisplay.from_predictions(y_true, y_pred, kind=kind, ax=_ax())
    assert disp.ax_.get_xlim() == (0.5, 7.5)
    assert {t.get_rotation() for t in disp.ax_.get_xticklabels()} == {0.0}  # room enough

    def overlapping(ax):
        ax.figure.draw_without_rendering()
        boxes = [t.get_window_extent() for t in ax.get_xticklabels()]
        return [(a.x1, b.x0) for a, b in zip(boxes, boxes[1:]) if a.x1 > b.x0]

    narrow = Figure(figsize=(11, 4)).subplots(1, 2)[0]
    disp = BucketErrorDisplay.from_predictions(y_true, y_pred, kind=kind, ax=narrow)
    assert {t.get_rotation() for t in disp.ax_.get_xticklabels()} == {45.0}
    for label in disp.ax_.get_xticklabels():  # level again: they would run together
        label.set(rotation=0, horizontalalignment="center")
    assert overlapping(disp.ax_)


# ----------------------------------------------------------------- calibration
def _overlapping(texts, figure):
    """Pairs of the non-empty ``texts`` whose drawn boxes overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
    return sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_many_buckets_keep_the_cell_values_and_the_bucket_names_readable():
    """Twelve buckets on the report's 6.4 x 4.8 in figure: the normalised matrix's cell
    values ran into each other (0.000.000.00) and so did the error plot's bucket names."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5000, 300).astype(float)
    pred = y * rng.uniform(0.3, 3, 300)
    twelve = (1, 3, 10, 30, 60, 100, 200, 400, 800, 1500, 3000)
    for bins in (None, twelve):
        matrix = BucketConfusionMatrixDisplay.from_predictions(
            y, pred, bins=bins, normalize="true", values_format=".2f", ax=_ax()
        )
        cells = [t for row in matrix.text_ for t in row]
        assert _overlapping(cells, matrix.figure_) == 0, bins
        errors = BucketErrorDisplay.from_predictions(y, pred, bins=bins, ax=_ax())
        assert _overlapping(errors.ax_.get_xticklabels(), errors.figure_) == 0, bins
    seven = BucketConfusionMatrixDisplay.from_predictions(y, pred, ax=_ax())
    assert seven.text_[0][0].get_fontsize() == 10.0  # the seed's seven buckets: as before


def _contrast(a, b):
    """WCAG contrast ratio of two matplotlib colours (1 to 21)."""
    from matplotlib.colors import to_rgb

    def luminance(color):
        rgb = np.asarray(to_rgb(color))
        return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4) @ [
            0.2126,
            0.7152,
            0.0722,
        ]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("n_bins", [None, 11])
def test_cell_values_contrast_with_their_cell_and_fill_it(n_bins):
    """As the report draws a normalised matrix (colour scale fixed at 0-1): a router no
    better than chance has no share near 1, and scikit-learn's midpoint rule put dark text on
    dark cells (1.5:1); with 12 buckets the values were 6 pt in cells room for 10."""
    rng = np.random.default_rng(0)
    bins = None if n_bins is None else tuple(np.geomspace(2, 4000, n_bins).round())
    y, pred = np.expm1(rng.uniform(0, np.log(8000), (2, 600)))  # each bucket has posts
    grow = 0 if n_bins is None else n_bins + 1 - 7  # the report's figure for many buckets
    figure = Figure(figsize=(6.4 + 0.45 * grow, 4.8 + 0.35 * grow))
    disp = BucketConfusionMatrixDisplay.from_predictions(
        y, pred, bins=bins, normalize="true", values_format=".2f",
        im_kw={"vmin": 0.0, "vmax": 1.0}, ax=figure.subplots(),
    )  # fmt: skip
    shares = disp.confusion_matrix
    assert shares.max() < 0.6  # the case: no cell near the top of the scale
    for (i, j), text in np.ndenumerate(disp.text_):
        cell = disp.im_.cmap(disp.im_.norm(shares[i, j]))[:3]
        assert _contrast(text.get_color(), cell) >= 4.5, (i, j, shares[i, j])
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    cell_width = disp.ax_.get_window_extent(renderer).width / len(shares)
    widths = [text.get_window_extent(renderer).width for text in disp.text_.ravel()]
    assert max(widths) < 0.9 * cell_width
    assert disp.text_[0, 0].get_fontsize() >= 9  # was 6 pt with 12 buckets
    # a cell the colour scale masks (0 under LogNorm) shows the white axes: dark text on it
    from matplotlib.colors import LogNorm

    logged = BucketConfusionMatrixDisplay.from_predictions(
        y, y, bins=bins, im_kw={"norm": LogNorm(vmin=1, vmax=600)}, ax=_ax()
    )  # exact predictions: every cell off the diagonal is 0
    empty = [t for (i, j), t in np.ndenumerate(logged.text_) if logged.confusion_matrix[i, j] == 0]
    assert empty and all(_contrast(t.get_color(), "white") >= 4.5 for t in empty)
    # a colormap's own colour for such cells (black here) is what they show
    import matplotlib as mpl

    dark = mpl.colormaps["viridis"].with_extremes(bad="black")
    logged = BucketConfusionMatrixDisplay.from_predictions(
        y, y, bins=bins, cmap=dark, im_kw={"norm": LogNorm(vmin=1, vmax=600)}, ax=_ax()
    )
    empty = [t for (i, j), t in np.ndenumerate(logged.text_) if logged.confusion_matrix[i, j] == 0]
    assert empty and all(_contrast(t.get_color(), "black") >= 4.5 for t in empty)
    # a colour or size of the user's own is kept
    mine = BucketConfusionMatrixDisplay.from_predictions(
        y, pred, bins=bins, text_kw={"c": "red", "size": 7}, ax=_ax()
    )
    assert {t.get_color() for t in mine.text_.ravel()} == {"red"}
    assert {t.get_fontsize() for t in mine.text_.ravel()} == {7}


def test_calibration_top_label_by_hand():
    y_true = np.array([5, 5, 50, 50, 500, 5000.0])
    proba = np.full((6, 7), 0.05)
    proba[:, 0] = 0.7  # always predicts bucket 0 with 0.7
    disp = BucketCalibrationDisplay.from_predictions(y_true, proba, n_bins=5, ax=_ax())
    assert len(disp.lines_) == 1
    xs, ys = disp.lines_[0].get_data()
    np.testing.assert_allclose(xs, [0.7])
    np.testing.assert_allclose(ys, [2 / 6])  # right on the two 0-10 rows
    assert disp.ax_.get_xlim() == pytest.approx((-0.02, 1.02))
    assert [c.tolist() for c in disp.bin_counts] == [[6]]


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibration_counts_the_rows_behind_each_point(strategy):
    """The points came without their rows: one from 4 posts was drawn (and listed in the
    report) like one from 400."""
    rng = np.random.default_rng(0)
    y = np.floor(rng.lognormal(4, 2, 400))
    proba = rng.dirichlet(np.full(7, 0.4), 400)
    for kind in ("top_label", "one_vs_rest"):
        disp = BucketCalibrationDisplay.from_predictions(
            y, proba, kind=kind, n_bins=6, strategy=strategy, ax=_ax()
        )
        for k, (counts, pred) in enumerate(zip(disp.bin_counts, disp.prob_pred)):
            p = proba.max(1) if kind == "top_label" else proba[:, k]
            edges = (
                np.linspace(0, 1, 7)
                if strategy == "uniform"
                else np.percentile(p, np.linspace(0, 1, 7) * 100)  # as scikit-learn draws them
            )
            which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, 5)  # by hand
            by_hand = np.bincount(which, minlength=6)
            np.testing.assert_array_equal(counts, by_hand[by_hand > 0])
            means = np.bincount(which, weights=p, minlength=6)[by_hand > 0] / counts
            np.testing.assert_allclose(pred, means)
            assert counts.sum() == 400


def test_calibration_points_say_how_many_rows_they_stand_on():
    """The top-label curve's point of 2 posts was drawn as boldly as its point of 89; the
    counts were only in the report's folded table."""
    rng = np.random.default_rng(0)
    y = np.floor(rng.lognormal(4, 2, 400))
    proba = rng.dirichlet(np.full(7, 0.4), 400)
    disp = BucketCalibrationDisplay.from_predictions(y, proba, n_bins=6, ax=_ax())
    written = [int(t.get_text().replace(",", "")) for t in disp.count_texts_]
    assert written == disp.bin_counts[0].tolist() and sum(written) == 400
    assert [t.xy for t in disp.count_texts_] == list(zip(*disp.lines_[0].get_data()))
    assert "beside each point: its rows" in [t.get_text() for t in disp.ax_.get_legend().texts]
    # many curves: not unless asked; never without the counts
    ovr = BucketCalibrationDisplay.from_predictions(y, proba, kind="one_vs_rest", ax=_ax())
    assert ovr.count_texts_ == []
    assert len(ovr.plot(ax=_ax(), show_counts=True).count_texts_) == sum(
        len(c) for c in ovr.bin_counts
    )
    bare = BucketCalibrationDisplay(prob_true=[[0.5]], prob_pred=[[0.5]], curve_labels=["a"])
    assert bare.plot(ax=_ax()).count_texts_ == []
    with pytest.raises(PlotInputError, match="show_counts=True needs bin_counts"):
        bare.plot(ax=_ax(), show_counts=True)


def test_one_vs_rest_curves_of_many_buckets_stay_apart():
    """Past ten buckets the curves repeated tab10's colours ("0-0" and "501-1000" the same
    blue), and a legend of 16 entries lay over them."""
    bins = list(range(0, 30_000, 2_000))  # 15 edges, 16 buckets
    rng = np.random.default_rng(1)
    y = rng.integers(0, 32_000, 500).astype(float)
    proba = rng.dirichlet(np.ones(len(bins) + 1), 500)
    disp = BucketCalibrationDisplay.from_predictions(
        y, proba, bins=bins, kind="one_vs_rest", ax=_ax()
    )
    looks = {(tuple(line.get_color()), line.get_marker()) for line in disp.lines_}
    assert len(looks) == 16
    colours = [tuple(line.get_color()) for line in disp.lines_]
    assert all(a != b for a, b in zip(colours, colours[1:]))
    legend = disp.ax_.get_legend()
    disp.figure_.draw_without_rendering()
    box, axes = legend.get_window_extent(), disp.ax_.get_window_extent()
    assert box.x0 >= axes.x1  # beside the axes, not over the curves
    # a second model's curves on the same axes: told apart by their line style
    second = BucketCalibrationDisplay.from_predictions(
        y, proba[::-1], bins=bins, kind="one_vs_rest", ax=disp.ax_, name="other"
    )
    assert {line.get_linestyle() for line in disp.lines_} == {"-"}
    assert {line.get_linestyle() for line in second.lines_} == {"--"}
    # a colour the user gives is every curve's
    same = BucketCalibrationDisplay.from_predictions(
        y, proba, bins=bins, kind="one_vs_rest", ax=_ax(), color="k"
    )
    assert {line.get_color() for line in same.lines_} == {"k"}


def test_calibration_from_estimator_one_vs_rest(data, model, pipe):
    X, y, _ = data
    disp = BucketCalibrationDisplay.from_estimator(model, X, y, kind="one_vs_rest", ax=_ax())
    assert len(disp.lines_) == 7
    assert [line.get_label() for line in disp.lines_] == LABELS
    proba = model.predict_bucket_proba(X)
    pt, pp = calibration_curve(
        (assign_buckets(y) == 2).astype(int), proba[:, 2], n_bins=5, pos_label=1
    )
    np.testing.assert_allclose(disp.lines_[2].get_xdata(), pp)
    np.testing.assert_allclose(disp.lines_[2].get_ydata(), pt)

    top = BucketCalibrationDisplay.from_estimator(pipe, X, y, ax=_ax())
    p = pipe[-1].predict_bucket_proba(pipe[:-1].transform(X))
    correct = (p.argmax(1) == assign_buckets(y)).astype(int)
    pt, pp = calibration_curve(correct, p.max(1), n_bins=5, pos_label=1)
    np.testing.assert_allclose(top.lines_[0].get_ydata(), pt)
    # bins= was a TypeError ("got multiple values for keyword argument 'bins'")
    with pytest.raises(PlotInputError, match=r"from_estimator: bins cannot be given.*own bucket"):
        BucketCalibrationDisplay.from_estimator(model, X, y, bins=(10, 100), ax=_ax())


def test_two_models_on_one_axes_list_the_guides_once_and_take_a_name():
    """Overlaying a second model listed "perfectly calibrated" (and "perfect", "bucket
    edges") twice; name= failed inside matplotlib (Line2D.set() got 'name')."""
    proba = np.eye(7)[[0, 1, 1, 6]]
    y = [3, 50, 2000, 9000]
    ax = _ax()
    BucketCalibrationDisplay.from_predictions(y, proba, ax=ax, name="model A")
    BucketCalibrationDisplay.from_predictions(y, np.full((4, 7), 1 / 7), ax=ax, name="model B")
    assert ax.get_legend_handles_labels()[1] == ["perfectly calibrated", "model A", "model B"]
    rest = BucketCalibrationDisplay.from_predictions(
        y, proba, kind="one_vs_rest", name="A", ax=_ax()
    )
    assert [line.get_label() for line in rest.lines_] == [f"A: {lab}" for lab in LABELS]
    ax = _ax()
    for label, pred in (("A", [1, 4, 80, 300]), ("B", [2, 9, 60, 900])):
        LikesPredictionDisplay.from_predictions(
            [0, 5, 50, 500], pred, ax=ax, scatter_kwargs={"label": label}
        )
    assert ax.get_legend_handles_labels()[1] == ["A", "perfect", "bucket edges", "B"]


def test_bucket_predictions_are_named_as_passed_with_the_row():
    """pred_kind="bucket": the message named bucket_pred (the user passed y_pred) and no row."""
    from skbucket.metrics import MetricsInputError

    with pytest.raises(MetricsInputError, match=r"^y_pred \(buckets\) .*; row 1 holds nan"):
        BucketConfusionMatrixDisplay.from_predictions(
            [1, 2, 3], [0, np.nan, 1], pred_kind="bucket", ax=_ax()
        )
    with pytest.raises(MetricsInputError, match=r"^y_pred \(buckets\) must lie in \[0, 6\]"):
        BucketConfusionMatrixDisplay.from_predictions(
            [1, 2, 3], [0, 9, 1], pred_kind="bucket", ax=_ax()
        )


def test_an_unfitted_pipeline_is_named_not_its_first_step(data):
    """The displays that read the steps' output said "This StandardScaler instance is not
    fitted yet" (for make_seed_pipeline: "This _PostColumns instance")."""
    from sklearn.exceptions import NotFittedError

    X, y, dates = data
    unfitted = make_pipeline(StandardScaler(), _bucketed())
    for display, kw in (
        (BucketConfusionMatrixDisplay, {}),
        (BucketCalibrationDisplay, {}),
        (ErrorOverTimeDisplay, {"dates": dates}),
    ):
        with pytest.raises(NotFittedError, match=r"This Pipeline instance is not fitted"):
            display.from_estimator(unfitted, X, y, ax=_ax(), **kw)


class _NoFittedAttributes(Ridge):
    """A fitted regressor with no attribute ending in '_' (check_is_fitted says unfitted)."""

    def fit(self, X, y):
        self.mean = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean)


def test_a_fitted_regressor_without_fitted_attributes_is_still_evaluated(data):
    """The fitted check of the pipelines' steps also refused such a lone regressor, which
    scikit-learn's own predict does not ask about."""
    from skbucket.metrics import evaluate_estimator

    X, y, _ = data
    model = _NoFittedAttributes().fit(X, y)
    assert evaluate_estimator(model, X, y)["n_samples"] == len(y)
    disp = LikesPredictionDisplay.from_estimator(model, X, y, ax=_ax())
    np.testing.assert_allclose(disp.y_pred, np.mean(y))


def test_calibration_rejects_bad_probabilities():
    with pytest.raises(PlotInputError, match=r"shape \(2, 7\)"):
        BucketCalibrationDisplay.from_predictions([1, 2], np.ones((2, 3)) / 3, ax=_ax())
    bad = np.zeros((2, 7))
    bad[1, 4] = 1.5
    with pytest.raises(PlotInputError, match="row 1, bucket 4"):
        BucketCalibrationDisplay.from_predictions([1, 2], bad, ax=_ax())
    # in [0, 1] but no distribution (rows of 0.5: 3.5 each) drew a meaningless plot
    halves = np.full((3, 7), 0.5)
    halves[0] = np.eye(7)[2]
    with pytest.raises(PlotInputError, match=r"row 1 sums to 3\.5 \(2 row\(s\) do not\)"):
        BucketCalibrationDisplay.from_predictions([1, 2, 3], halves, ax=_ax())
    near = np.full((2, 7), 1 / 7, dtype=np.float32)  # float32 rounding: a distribution
    BucketCalibrationDisplay.from_predictions([1, 2], near, ax=_ax())
    with pytest.raises(TypeError, match="predict_bucket_proba"):
        BucketCalibrationDisplay.from_estimator(Ridge().fit([[0], [1]], [0, 1]), [[0]], [0])


# ----------------------------------------------------------------- error over time
@pytest.mark.filterwarnings("ignore:.*predicted like counts are negative")
@pytest.mark.parametrize("routed", [False, True])
def test_error_over_time_scores_each_period_as_evaluate_does(routed):
    """Each period computes only the metric drawn: every metric equals evaluate() on the
    period's rows (negative predictions, one-row and constant periods, routed buckets)."""
    from skbucket.metrics import METRIC_NAMES, evaluate

    rng = np.random.default_rng(0)
    n = 120
    y_true = np.round(np.expm1(rng.uniform(0, 9, n)))
    y_pred = y_true * rng.uniform(0.2, 4, n) - rng.uniform(0, 30, n)
    y_true[:5] = 7.0  # a constant period: R² undefined (NaN) there
    days = np.r_[[0] * 5, [9], rng.integers(20, 60, n - 6)]  # and a period of one row
    dates = pd.Timestamp("2021-03-01") + pd.to_timedelta(days, unit="D")
    buckets = rng.integers(0, 7, n) if routed else None
    for metric in METRIC_NAMES[:-1]:
        disp = ErrorOverTimeDisplay.from_predictions(
            y_true, y_pred, dates, freq="D", metric=metric, bucket_pred=buckets, ax=_ax()
        )
        expected = []
        for period in disp.periods:
            rows = np.asarray(dates.to_period("D") == period)
            picked = None if buckets is None else buckets[rows]
            expected.append(evaluate(y_true[rows], y_pred[rows], bucket_pred=picked)[metric])
        np.testing.assert_array_equal(disp.values, expected, err_msg=metric)
        # the constant period and the one-row period: R² is NaN there, the others are not
        assert np.isnan(disp.values[:2]).tolist() == [metric.startswith("r2")] * 2


def test_a_column_name_given_as_dates_points_at_date_column(data, model):
    X, y, _ = data
    with pytest.raises(PlotInputError, match=r"^dates='when' is one string.*date_column='when'"):
        ErrorOverTimeDisplay.from_estimator(model, X, y, dates="when", ax=_ax())


def test_error_over_time_by_hand():
    y_true = np.array([1, 10, 100, 1000.0])
    y_pred = np.array([1, 20, 50, 1000.0])
    dates = ["2020-01-05", "2020-01-31 23:59:00", "2020-03-01", "2020-03-20"]
    disp = ErrorOverTimeDisplay.from_predictions(y_true, y_pred, dates, ax=_ax())
    assert [str(p) for p in disp.periods] == ["2020-01", "2020-03"]
    err = np.abs(np.log1p(y_pred) - np.log1p(y_true))
    np.testing.assert_allclose(disp.values, [err[:2].mean(), err[2:].mean()])
    np.testing.assert_array_equal(disp.counts, [2, 2])
    # the line breaks over February (no posts), which it used to bridge
    np.testing.assert_allclose(disp.line_.get_ydata(), [disp.values[0], np.nan, disp.values[1]])
    assert disp.ax_.get_ylabel() == "MAE on log1p(likes)" and disp.ax_.get_xlabel() == "Month"
    # the posts behind each point, as bars on a second axis; every period has its tick
    assert [b.get_height() for b in disp.count_bars_] == [2, 0, 2]
    assert disp.counts_ax_.get_ylabel() == "Posts per period"
    ticks = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert ticks == ["2020-01", "2020-02", "2020-03"]

    weekly = ErrorOverTimeDisplay.from_predictions(
        y_true, y_pred, dates, freq="W", metric="rmse", ax=_ax()
    )
    assert len(weekly.periods) == 4 and weekly.values[0] == 0.0
    assert weekly.ax_.get_xlabel() == "Week (start)"


@pytest.mark.parametrize(
    "freq, dates, periods, counts",
    [
        # January and February are one two-month period, May and June another (March and
        # April, without posts, a gap); before, "2M" started a period at each post's month
        (
            "2M",
            ["2021-01-15", "2021-02-15", "2021-05-15", "2021-06-15"],
            ["2021-01", "2021-05"],
            [2, 2],
        ),
        (
            "2D",
            ["2021-01-01", "2021-01-02 23:00", "2021-01-03", "2021-01-06"],
            ["2021-01-01", "2021-01-03", "2021-01-05"],
            [2, 1, 1],
        ),
        ("3M", ["2021-01-31", "2021-03-01", "2021-04-01"], ["2021Q1", "2021Q2"], [2, 1]),
    ],
)
def test_error_over_time_of_a_multiplied_frequency_groups_its_periods(freq, dates, periods, counts):
    disp = ErrorOverTimeDisplay.from_predictions(
        [10] * len(dates), [10, 100, 1000, 10000][: len(dates)], dates, freq=freq, ax=_ax()
    )
    quarters = freq == "3M"
    got = [str(p.asfreq("Q")) if quarters else str(p) for p in disp.periods]
    assert got == periods and disp.counts.tolist() == counts
    # the line breaks over the empty periods between, on the grid of the frequency
    heights = [b.get_height() for b in disp.count_bars_]
    assert sorted(h for h in heights if h) == sorted(counts) and sum(heights) == len(dates)
    line = disp.line_.get_ydata()
    np.testing.assert_allclose(line[~np.isnan(line)], disp.values)


def test_error_over_time_draws_counts_unless_told_not_to(data, model):
    X, y, dates = data
    bare = ErrorOverTimeDisplay.from_estimator(
        model, X, y, dates=dates, show_counts=False, ax=_ax()
    )
    assert bare.counts_ax_ is None and bare.count_bars_ is None
    assert bare.ax_.get_legend() is None  # one mark: its axis label says what it is
    disp = ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, ax=_ax())
    assert disp.counts_ax_
    # which mark reads on which axis is said in words, not only by the right axis' grey, and
    # the bars' outline holds 3:1 against the white page (their 0.85 fill alone had 1.4:1)
    legend = disp.ax_.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "MAE on log1p(likes)",
        "Posts per period (right axis)",
    ]
    assert _contrast(disp.count_bars_[0].get_edgecolor()[:3], "white") >= 3


def test_error_over_time_bars_stand_under_their_points():
    """Each bar began at its period's point (align="edge"), so beside the bar before it the
    point read as that bar's; with 15 years of months the bars' outlines merged into a dark
    block under the line."""
    import matplotlib.dates as mdates

    rng = np.random.default_rng(0)
    for n, days, dense in [(60, 150, False), (400, 15 * 365, True)]:
        dates = pd.Timestamp("2008-01-01") + pd.to_timedelta(
            np.sort(rng.uniform(0, days, n)), unit="D"
        )
        y = np.round(np.expm1(rng.uniform(0, 9, n)))
        disp = ErrorOverTimeDisplay.from_predictions(y, y * 2, dates, ax=_ax())
        points = mdates.date2num(disp.line_.get_xdata())
        if dense:  # a bar for each period with posts (an empty one has no height)
            points = points[~np.isnan(disp.line_.get_ydata())]
        centres = [b.get_x() + b.get_width() / 2 for b in disp.count_bars_]
        np.testing.assert_allclose(centres, points, atol=1e-6)
        widths = {b.get_linewidth() for b in disp.count_bars_}
        outlines = [c for c in disp.counts_ax_.patches if type(c).__name__ == "StepPatch"]
        if dense:  # touching, outlined along the tops in the same 4:1 grey
            assert widths == {0.0} and len(outlines) == 1
            assert _contrast(outlines[0].get_edgecolor()[:3], "white") >= 3
        else:
            assert widths == {0.6} and not outlines


def test_error_over_time_over_centuries_draws_no_bar_for_an_empty_period():
    """Posts over 500 years by month drew a bar of height 0 (and a step of the outline) for
    each of 6,000 empty months: 10-20 s for one plot of the report."""
    dates = ["1750-01-15", "1750-03-15", "2250-06-15"]
    disp = ErrorOverTimeDisplay.from_predictions([1, 10, 100], [2, 10, 50], dates, ax=_ax())
    assert len(disp.periods) == 3
    line = disp.line_.get_ydata()
    assert len(line) > 6000 and np.isfinite(line).sum() == 3  # the gaps stay in the line
    heights = [b.get_height() for b in disp.count_bars_]
    assert heights == [1, 1, 1]
    import matplotlib.dates as mdates

    centres = [b.get_x() + b.get_width() / 2 for b in disp.count_bars_]
    points = mdates.date2num(disp.line_.get_xdata())[np.isfinite(line)]
    np.testing.assert_allclose(centres, points, atol=1e-6)
    # the outline along the tops: one step per run of one height, the same drawing
    (outline,) = [c for c in disp.counts_ax_.patches if type(c).__name__ == "StepPatch"]
    values, edges = outline.get_data()[:2]
    assert values.tolist() == [1, 0, 1, 0, 1] and len(edges) == 6
    assert mdates.num2date(edges[-1]).year == 2250


def test_error_over_time_from_predictions_without_dates_says_what_it_needs():
    """dates=None (from_estimator's default) was "object of type 'NoneType' has no len()"."""
    with pytest.raises(PlotInputError, match=r"^dates is None: from_predictions needs"):
        ErrorOverTimeDisplay.from_predictions([1, 10], [2, 10], None, ax=_ax())


def test_error_over_time_of_one_period_shows_that_period():
    """One month: matplotlib padded the axis by two years, with no tick for the month."""
    disp = ErrorOverTimeDisplay.from_predictions([1, 10, 5], [2, 10, 5], ["2021-03-04"] * 3)
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["2021-03"]
    import matplotlib.dates as mdates

    low, high = (pd.Timestamp(mdates.num2date(v)).tz_localize(None) for v in disp.ax_.get_xlim())
    assert pd.Timestamp("2021-01-01") < low and high < pd.Timestamp("2021-07-01")
    # the point, and the bar centred on it, in the middle of the axis (the limits were set
    # for bars that began at the point: the point stood a third of the way along)
    point = mdates.date2num(disp.line_.get_xdata()[0])
    bar = disp.count_bars_[0]
    low, high = disp.ax_.get_xlim()
    assert point - low == pytest.approx(high - point)
    assert bar.get_x() - low == pytest.approx(high - bar.get_x() - bar.get_width())


def test_error_over_time_from_estimator(data, model, pipe):
    X, y, dates = data
    disp = ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, ax=_ax())
    assert len(disp.periods) == 10 and disp.counts.sum() == 300
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(date=dates)
    ErrorOverTimeDisplay.from_estimator(
        make_pipeline(_ColumnDrop("date"), _bucketed()).fit(frame, y),
        frame,
        y,
        ax=_ax(),
    )
    with pytest.raises(PlotInputError, match="no dates given"):
        ErrorOverTimeDisplay.from_estimator(model, X, y, ax=_ax())


@pytest.mark.filterwarnings("ignore:.*predicted like counts are negative")  # Ridge, as meant
def test_error_over_time_bucket_metrics_score_the_routers_buckets(data):
    # as evaluate_estimator and the report do; with soft routing the router's bucket is not
    # always the bucket of the predicted likes
    X, y, dates = data
    soft = BucketedRegressor(LogisticRegression(max_iter=500), Ridge(), routing="soft").fit(X, y)
    disp = ErrorOverTimeDisplay.from_estimator(
        soft, X, y, dates=dates, metric="bucket_accuracy", ax=_ax()
    )
    month = pd.Series(dates).dt.to_period("M").to_numpy()
    routed = soft.predict_bucket(X) == assign_buckets(y)
    expected = [routed[month == p].mean() for p in disp.periods]
    np.testing.assert_allclose(disp.values, expected)
    own = assign_buckets(np.clip(soft.predict(X), 0, None)) == assign_buckets(y)
    assert not np.allclose(expected, [own[month == p].mean() for p in disp.periods])


def test_hourly_error_over_time_leaves_out_dates_without_a_time_of_day():
    # a day's date reads as midnight: in an hourly plot it would be a 00:00 post
    dates = ["2020-01-03 10:00", "2020-01-03", "2020-01-03 00:30", None, datetime.date(2020, 1, 4)]
    y = [1, 10, 100, 5, 7]
    disp = ErrorOverTimeDisplay.from_predictions(y, y, dates, freq="h", ax=_ax())
    assert [str(p) for p in disp.periods] == ["2020-01-03 00:00", "2020-01-03 10:00"]
    assert disp.counts.tolist() == [1, 1] and (disp.n_undated, disp.n_timeless) == (1, 2)
    assert [t.get_text() for t in disp.ax_.texts][-1] == (
        "1 row(s) without a readable date left out; 2 row(s) dated without a time of day left out"
    )
    # a day or longer: every dated row counts; a datetime64 midnight keeps its hour
    disp = ErrorOverTimeDisplay.from_predictions(y, y, dates, freq="D", ax=_ax())
    assert disp.counts.tolist() == [3, 1] and (disp.n_undated, disp.n_timeless) == (1, 0)
    stamps = pd.to_datetime(pd.Series(["2020-01-03 00:00", "2020-01-03 10:00"]))
    disp = ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], stamps, freq="h", ax=_ax())
    assert disp.counts.tolist() == [1, 1] and disp.n_timeless == 0
    with pytest.raises(PlotInputError, match=r"freq='2h' is shorter than a day, but none of the 2"):
        ErrorOverTimeDisplay.from_predictions(
            [1, 2], [1, 2], ["2020-01-03", "2020-01-04"], freq="2h"
        )


def test_error_over_time_leaves_out_rows_without_a_readable_date():
    # the model scores these rows (NaN date features); the plot leaves them out and says so
    dates = ["2020-01-01", None, "soon", "2020-02-03T10:00:00+05:00", "2020-02-04"]
    disp = ErrorOverTimeDisplay.from_predictions([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], dates, ax=_ax())
    assert [str(p) for p in disp.periods] == ["2020-01", "2020-02"]  # mixed zones: UTC
    assert disp.counts.tolist() == [1, 2] and disp.n_undated == 2
    assert "2 row(s) without a readable date left out" in [t.get_text() for t in disp.ax_.texts]
    with pytest.raises(PlotInputError, match="none of the 2 dates could be read .* row 1: 'soon'"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], [None, "soon"], ax=_ax())
    # epoch numbers said "could not be read" only
    epoch = np.array([1583159400, 1583191800])
    # (a list of them is refused as an array is, naming its first value)
    with pytest.raises(PlotInputError, match=r"a count of seconds .*'s'\) \(its first value is 15"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], epoch.tolist(), ax=_ax())
    with pytest.raises(PlotInputError, match=r"column 'dates' has numeric dtype int64; expected"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], epoch, ax=_ax())
    with pytest.raises(PlotInputError, match=r"row 0: '1583159400000' \(a count of millis"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], (epoch * 1000).astype(str), ax=_ax())
    # told apart by size and shape: microseconds, compact dates, Excel serial days (each was
    # "a count of seconds", whose unit='s' made them 1970 or the year 53,224)
    for given, said in (
        ((epoch * 10**6).tolist(), r"count of microseconds .*unit='us'"),
        ([20210403, 20210404], r"compact date \(YYYYMMDD\) .*format='%Y%m%d'"),
        ([44289, 44290.5], r"Excel serial day number: .*origin='1899-12-30'"),
    ):
        with pytest.raises(PlotInputError, match=said):
            ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], given, ax=_ax())
    # a Series' row is its index label, as in the day/month error
    labelled = pd.Series([None, "soon"], index=[100, 101], dtype=object)
    with pytest.raises(PlotInputError, match=r"e\.g\. row 101: 'soon'"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], labelled, ax=_ax())


def test_error_over_time_reads_dates_day_first_like_the_model():
    dates = ["03/04/2021", "05/04/2021", "20/04/2021"]  # 3, 5 and 20 April
    disp = ErrorOverTimeDisplay.from_predictions([1, 2, 3], [1, 2, 3], dates, dayfirst=True,
                                                 ax=_ax())  # fmt: skip
    assert [str(p) for p in disp.periods] == ["2021-04"]
    from skbucket import make_seed_pipeline
    from skbucket.plotting import model_dayfirst

    assert model_dayfirst(make_seed_pipeline(caption_model=None, dayfirst=True)) is True
    assert model_dayfirst(make_seed_pipeline(caption_model=None)) is False
    assert model_dayfirst(Ridge()) is False


def test_error_over_time_bad_dates():
    # read as the estimators read dates: a day/month-mixed column is an error, not a plot of
    # half the posts in the wrong month
    mixed = ["13/04/2021", "03/04/2021"]
    with pytest.raises(PlotInputError, match="'dates' mixes day/month orders.*dayfirst=True"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], mixed, ax=_ax())
    disp = ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], mixed, dayfirst=True, ax=_ax())
    assert [str(p) for p in disp.periods] == ["2021-04"]
    with pytest.raises(PlotInputError, match="3 rows"):
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], ["2020-01-01"] * 3, ax=_ax())
    with pytest.raises(PlotInputError, match="metric must be one of"):
        ErrorOverTimeDisplay.from_predictions([1], [1], ["2020-01-01"], metric="mape", ax=_ax())
    # before: pandas' "Invalid frequency: ME" after reading every date, and "Cannot construct
    # a Series from a DataFrame" for one column of dates
    for freq in ("ME", 3, None):
        with pytest.raises(PlotInputError, match=r"freq must be a pandas period frequency"):
            ErrorOverTimeDisplay.from_predictions([1], [1], ["2020-01-01"], freq=freq, ax=_ax())
    frame = pd.DataFrame({"posted": ["2021-01-01", "2021-02-03"]})
    disp = ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], frame, ax=_ax())
    assert [str(p) for p in disp.periods] == ["2021-01", "2021-02"]
    with pytest.raises(PlotInputError, match="one column of dates.*2 columns"):
        frame2 = frame.assign(other=frame["posted"])
        ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], frame2, ax=_ax())


class _ColumnDrop:
    """Minimal transformer dropping one column (keeps the test free of ColumnTransformer)."""

    def __init__(self, column):
        self.column = column

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.drop(columns=[self.column]).to_numpy()

    def get_params(self, deep=True):
        return {"column": self.column}

    def set_params(self, **params):
        self.column = params.get("column", self.column)
        return self


def test_importing_plotting_and_report_is_light():
    import subprocess
    import sys

    code = (
        "import sys, skbucket.plotting, skbucket.report, skbucket.io; "
        "print(sorted(m for m in ('matplotlib', 'torch', 'transformers', 'skops') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_style_keywords_under_their_short_names_replace_the_defaults():
    # matplotlib refused "c" beside the default "color" (and "ls" beside "linestyle")
    disp = LikesPredictionDisplay.from_predictions(
        [1, 10, 100, 1000],
        [2, 12, 120, 1200],
        ax=_ax(),
        scatter_kwargs={"c": "red"},
        line_kwargs={"ls": "-", "c": "g", "lw": 3},
    )
    assert disp.line_.get_linestyle() == "-" and disp.line_.get_linewidth() == 3
    assert disp.line_.get_color() == "g"
    np.testing.assert_allclose(disp.scatter_.get_facecolor()[0][:3], [1, 0, 0])


def test_a_bad_bucket_is_named_by_its_row_in_the_input():
    # checked per period, the row was its position inside the period
    from skbucket.metrics import MetricsInputError

    with pytest.raises(MetricsInputError, match="row 3 holds 9"):
        ErrorOverTimeDisplay.from_predictions(
            [1, 10, 100, 1000],
            [2, 10, 50, 900],
            ["2021-03-05", "2021-01-02", "2021-03-01", "2021-01-20"],
            bucket_pred=[0, 1, 2, 9],
            metric="bucket_accuracy",
            ax=_ax(),
        )


def test_a_scalar_truth_is_a_clear_error():
    from skbucket.metrics import MetricsInputError

    with pytest.raises(MetricsInputError, match="y_true must be one-dimensional"):
        BucketConfusionMatrixDisplay.from_predictions(5, 3, pred_kind="bucket", ax=_ax())
    with pytest.raises(MetricsInputError, match="y_true must be one-dimensional"):
        BucketCalibrationDisplay.from_predictions(5, np.eye(7)[:1], ax=_ax())


def test_day_month_errors_name_the_dates_column_or_dates():
    pl = pytest.importorskip("polars")
    mixed = ["13/04/2021", "03/04/2021", "05/06/2021", "2021-01-01"]
    for dates, name in (
        (mixed, "dates"),
        (pl.Series(mixed), "dates"),  # a polars Series is named '' by default
        (pd.Series(mixed, name="posted"), "posted"),
    ):
        with pytest.raises(PlotInputError, match=f"date column '{name}' mixes"):
            ErrorOverTimeDisplay.from_predictions([1, 10, 100, 1000], [2, 12, 120, 1200], dates)


@pytest.mark.parametrize("normalize", [None, "true"])
def test_standalone_figures_keep_their_axis_labels_inside(normalize):
    """A display drawn on a figure of its own (savefig of figure_) shows its axis labels: the
    confusion matrix's rotated bucket labels pushed its x label below the figure's edge."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    y = rng.integers(0, 5000, 200).astype(float)
    p = y * rng.uniform(0.5, 1.5, 200)
    dates = pd.date_range("2021-01-01", periods=200, freq="D")
    displays = [
        BucketConfusionMatrixDisplay.from_predictions(y, p, normalize=normalize),
        BucketErrorDisplay.from_predictions(y, p),
        LikesPredictionDisplay.from_predictions(y, p),
        ErrorOverTimeDisplay.from_predictions(y, p, dates),
    ]
    try:
        for display in displays:
            fig = display.figure_
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            for label in (display.ax_.xaxis.label, display.ax_.yaxis.label):
                box = label.get_window_extent(renderer)
                assert box.x0 >= 0 and box.y0 >= 0, (type(display).__name__, label.get_text())
                assert box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    finally:
        plt.close("all")


def test_standalone_figures_still_take_tight_layout_and_subplots_adjust():
    """The layout that keeps the labels inside must not refuse the usual later adjustments
    (constrained layout made the confusion matrix's plt.tight_layout() a RuntimeError)."""
    import warnings

    import matplotlib.pyplot as plt

    y, p = [0, 50, 50, 3000, 10, 200], [2, 60, 400, 2800, 5, 150]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            BucketConfusionMatrixDisplay.from_predictions(y, p)
            plt.tight_layout()
            error = BucketErrorDisplay.from_predictions(y, p)
            error.figure_.tight_layout()
            error.figure_.subplots_adjust(left=0.3)
    finally:
        plt.close("all")


@pytest.mark.parametrize(
    "display",
    [
        LikesPredictionDisplay,
        BucketConfusionMatrixDisplay,
        BucketErrorDisplay,
        BucketCalibrationDisplay,
        ErrorOverTimeDisplay,
    ],
)
@pytest.mark.parametrize("missing", ["matplotlib", "PIL"])
def test_from_estimator_without_matplotlib_fails_before_predicting(
    display, missing, data, model, monkeypatch
):
    """Each from_estimator ran the model (a captioner and an embedder: minutes) before it
    found matplotlib missing; matplotlib installed but its Pillow broken was said to need
    `pip install 'skbucket[report]'`, which changes nothing."""
    import sys

    X, y, dates = data
    calls = []
    monkeypatch.setattr(type(model), "predict", lambda self, X: calls.append("predict"))
    monkeypatch.setattr(type(model), "predict_bucket_proba", lambda self, X: calls.append("proba"))
    family = ("matplotlib", missing)
    before = set(sys.modules)
    for name in [m for m in sys.modules if m.split(".")[0] in family]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # as if not installed
    said = (
        r"need matplotlib: pip install 'skbucket\[report\]'"
        if missing == "matplotlib"
        else r"matplotlib, which is installed but cannot be imported \(ModuleNotFoundError: .*PIL"
    )
    extra = {"dates": dates} if display is ErrorOverTimeDisplay else {}
    try:
        with pytest.raises(ImportError, match=said):
            display.from_estimator(model, X, y, **extra)
    finally:  # modules the failed import left half-made: gone (the old ones come back)
        for name in [m for m in set(sys.modules) - before if m.split(".")[0] in family]:
            del sys.modules[name]
    assert calls == []


@pytest.mark.parametrize("size", [(6.4, 4.8), (3.2, 2.4)])
def test_the_error_over_time_legend_covers_neither_the_line_nor_the_bars(size):
    """``loc="best"`` placed the legend where it hid fewest points of the line, and over the
    bars of the second axis, which it did not see (they filled every corner)."""
    import matplotlib.dates as mdates

    rng = np.random.RandomState(0)
    dates = pd.date_range("2018-01-01", "2022-08-31", periods=3000)
    y = np.round(np.expm1(rng.uniform(0, 8, len(dates))))
    pred = np.expm1(np.log1p(y) + rng.normal(0, 1, len(y))).clip(0)
    fig = Figure(figsize=size)
    disp = ErrorOverTimeDisplay.from_predictions(y, pred, dates, ax=fig.subplots())
    fig.canvas.draw()
    box = disp.ax_.get_legend().get_window_extent()
    # the top edge of every bar, and every point of the line, lie below the legend
    tops = [bar.get_window_extent().y1 for bar in disp.count_bars_]
    points = disp.ax_.transData.transform(
        np.column_stack([mdates.date2num(disp.line_.get_xdata()), disp.line_.get_ydata()])
    )
    assert max(tops) < box.y0
    assert np.nanmax(points[:, 1]) < box.y0
    # and within the axes (in one column where a row is wider than they are)
    frame = disp.ax_.get_window_extent()
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1


def _contrast_on(colour, background=(1.0, 1.0, 1.0)):
    """WCAG contrast ratio of an RGB(A) colour (alpha blended onto the background)."""
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(colour)
    rgb = a * np.array([r, g, b]) + (1 - a) * np.asarray(background)

    def luminance(c):
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted([luminance(rgb), luminance(np.asarray(background))], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_two_models_on_one_axes_stay_apart_in_shape_and_are_named(data, model):
    """An accessibility audit: two models' predicted-vs-actual points were one blue cloud
    (no name, one colour); a second error-over-time line had the first's marker and label and
    no legend entry; a second top-label calibration curve differed by colour alone, its
    point counts printed over the first's."""
    from matplotlib.colors import to_hex

    X, y, dates = data
    other = _bucketed().set_params(regressors=Ridge(alpha=100.0)).fit(X, y)
    ax = _ax()
    first = LikesPredictionDisplay.from_estimator(model, X, y, name="tree", ax=ax)
    second = LikesPredictionDisplay.from_estimator(other, X, y, name="ridge", ax=ax)
    assert to_hex(first.scatter_.get_facecolor()[0], keep_alpha=False) != to_hex(
        second.scatter_.get_facecolor()[0], keep_alpha=False
    )
    assert first.scatter_.get_paths()[0].vertices.shape != (
        second.scatter_.get_paths()[0].vertices.shape
    )  # the markers: a circle's path and a triangle's
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "tree" in legend and "ridge" in legend and legend.count("perfect") == 1

    ax = _ax()
    first = ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, name="tree", ax=ax)
    second = ErrorOverTimeDisplay.from_estimator(other, X, y, dates=dates, name="ridge", ax=ax)
    a, b = first.line_, second.line_
    assert a.get_color() != b.get_color() and a.get_marker() != b.get_marker()
    assert a.get_linestyle() != b.get_linestyle()
    assert second.count_bars_ is None and len(ax.figure.axes) == 2  # the bars drawn once
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["tree", "ridge", "Posts per period (right axis)"]
    # both lines inside the axes and below the legend (the second's range was not the first's)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    for line in (a, b):
        y_px = ax.transData.transform(np.column_stack([np.zeros(len(line.get_ydata())),
                                                       line.get_ydata()]))[:, 1]  # fmt: skip
        assert np.nanmax(y_px) < box.y0 and np.nanmin(y_px) >= ax.get_window_extent().y0

    ax = _ax()
    first = BucketCalibrationDisplay.from_estimator(model, X, y, name="tree", ax=ax)
    second = BucketCalibrationDisplay.from_estimator(other, X, y, name="ridge", ax=ax)
    a, b = first.lines_[0], second.lines_[0]
    assert a.get_marker() != b.get_marker() and a.get_linestyle() != b.get_linestyle()
    assert a.get_color() != b.get_color()
    assert first.count_texts_ and not second.count_texts_


def test_marks_hold_three_to_one_against_white(data, model):
    """WCAG 1.4.11 asks 3:1 of a graphic's marks: the box plots' medians (matplotlib's
    orange, 2.5:1, light grey in greyscale), the MAE bars (orange, unoutlined), the last
    one-vs-rest curves (viridis to 0.9: 1.5:1) and a few scattered points (alpha 0.5: 2:1)
    fell short."""
    X, y, _ = data
    box = BucketErrorDisplay.from_estimator(model, X, y, ax=_ax())
    assert all(_contrast_on(m.get_color()) >= 3 for m in box.artists_["medians"])
    bars = BucketErrorDisplay.from_estimator(model, X, y, kind="mae", ax=_ax())
    assert all(
        _contrast_on(b.get_edgecolor()) >= 3 and b.get_linewidth() > 0 for b in bars.artists_
    )
    ovr = BucketCalibrationDisplay.from_estimator(model, X, y, kind="one_vs_rest", ax=_ax())
    assert len(ovr.lines_) >= 5
    assert min(_contrast_on(line.get_color()) for line in ovr.lines_) >= 3
    few = LikesPredictionDisplay.from_predictions(y[:100], y[:100] + 1, ax=_ax()).scatter_
    colour = few.get_facecolor()[0]
    assert _contrast_on((*colour[:3], few.get_alpha())) >= 3


def test_a_second_model_keeps_to_its_own_axes_and_the_users_limits(data, model):
    """A review: the bars of the first model were looked for on every axes sharing the x
    axis (another subplot's were listed, its limits reset); a first model drawn without bars
    left a second asking for them without any; limits the user set were thrown away."""
    import matplotlib.pyplot as plt

    X, y, dates = data
    fig, (top, bottom) = plt.subplots(2, sharex=True)
    ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, ax=bottom)
    limits = [other.get_ylim() for other in fig.axes[1:]]  # the bottom axes and their twin
    ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, show_counts=False, ax=top)
    second = ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, name="b", ax=top)
    assert second.count_bars_ is not None  # none were drawn on these axes
    assert [other.get_ylim() for other in fig.axes[1:3]] == limits
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert legend.count("Posts per period (right axis)") == 1
    plt.close(fig)
    ax = _ax()
    ax.set_ylim(0, 5)
    ErrorOverTimeDisplay.from_estimator(model, X, y, dates=dates, ax=ax)
    assert ax.get_ylim() == (0, 5)


def test_weighted_counts_are_written_in_full():
    # weighted counts are floats: scikit-learn's ".2g" wrote 153 posts of weight 1 as
    # "1.5e+02", a number the matrix does not hold
    y = np.r_[np.full(153, 5.0), np.full(2, 50.0)]
    disp = BucketConfusionMatrixDisplay.from_predictions(
        y, y, sample_weight=np.ones(y.size), ax=_ax()
    )
    assert disp.confusion_matrix[0, 0] == 153
    assert disp.text_[0, 0].get_text() == "153"
    assert disp.text_[1, 1].get_text() == "2"
    halves = BucketConfusionMatrixDisplay.from_predictions(
        y, y, sample_weight=np.full(y.size, 10.25), ax=_ax()
    )
    assert halves.text_[0, 0].get_text() == "1568.25"
    given = BucketConfusionMatrixDisplay.from_predictions(
        y, y, sample_weight=np.ones(y.size), values_format=".1e", ax=_ax()
    )
    assert given.text_[0, 0].get_text() == "1.5e+02"


def test_matrix_drawn_again_keeps_its_values_format():
    # plot() again wrote the shares with scikit-learn's ".2g" ("0" beside "0.75"), and the
    # weighted counts as "1.5e+02", where from_predictions had drawn "0.00" and "153"
    y_true, y_pred = [0, 0, 0, 5, 50, 3000], [0, 0, 60, 5, 400, 3000]
    shares = BucketConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, normalize="true", ax=_ax()
    )
    first = [t.get_text() for t in shares.text_.ravel()]
    assert shares.plot(ax=_ax()) is shares
    assert [t.get_text() for t in shares.text_.ravel()] == first
    assert shares.text_[0, 2].get_text() == "0.00"
    assert shares.plot(ax=_ax(), values_format=".1f").text_[0, 0].get_text() == "0.8"
    y = np.full(153, 5.0)
    counts = BucketConfusionMatrixDisplay.from_predictions(
        y, y, sample_weight=np.ones(153), ax=_ax()
    )
    assert counts.plot(ax=_ax()).text_[0, 0].get_text() == "153"


def test_error_over_time_takes_a_column_of_dates_as_an_array():
    # a (n, 1) array of dates (X[:, [k]], a frame's .to_numpy()) is one column, as a one-column
    # DataFrame of dates and a (n, 1) y_true are; pyarrow failed it with "only handle
    # 1-dimensional arrays", and numpy's dates with "Data must be 1-dimensional"
    text = np.array([["2021-01-01"], ["2021-02-03"]])
    for dates in (text, text.astype("datetime64[ns]")):
        disp = ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], dates, ax=_ax())
        assert [str(p) for p in disp.periods] == ["2021-01", "2021-02"]
    for dates in (np.c_[text, text], np.datetime64("2021-01-01")):
        with pytest.raises(PlotInputError, match="dates must be one-dimensional"):
            ErrorOverTimeDisplay.from_predictions([1, 2], [1, 2], dates, ax=_ax())


def test_error_over_time_breaks_its_line_over_a_long_run_of_empty_periods():
    # more periods from first to last than are filled in (hours over two years): the line
    # bridged the empty hours between the posts; now it breaks after each run of posts
    dates = ["2020-01-01 10:00", "2020-01-01 11:00", "2022-01-01 10:00", "2022-01-01 13:00"]
    disp = ErrorOverTimeDisplay.from_predictions(
        [1, 2, 3, 4], [1, 2, 5, 4], dates, freq="h", ax=_ax()
    )
    assert disp.counts.tolist() == [1, 1, 1, 1]  # the display's own values are as they were
    ys = disp.line_.get_ydata()
    assert np.isnan(ys).tolist() == [False, False, True, False, True, False]
    np.testing.assert_array_equal(ys[~np.isnan(ys)], disp.values)
    xs = pd.to_datetime(disp.line_.get_xdata())
    assert xs[2] == pd.Timestamp("2020-01-01 12:00")  # the empty hour after the first run
    later = ["2020-01-01 11:00", "2026-01-01 10:00", "2026-01-01 15:00"]  # 26,000 periods
    pairs = ErrorOverTimeDisplay.from_predictions([1, 2, 3], [1, 2, 5], later, freq="2h", ax=_ax())
    assert np.isnan(pairs.line_.get_ydata()).tolist() == [False, True, False, True, False]


def test_error_over_time_on_cleared_axes_draws_its_own_counts():
    """ax.cla() then a new plot on the same axes (a notebook redrawing one figure): the bars
    of the cleared plot were taken for this one's, so none were drawn for it while the legend
    listed them and the right axis kept the old counts' scale."""
    fig = Figure()
    ax = fig.subplots()
    dates = pd.date_range("2020-01-01", periods=90, freq="D")
    y = np.arange(90.0)
    first = ErrorOverTimeDisplay.from_predictions(y, y * 1.5, dates, ax=ax)
    ax.cla()
    again = ErrorOverTimeDisplay.from_predictions(y[:30], y[:30] * 1.2, dates[:30], ax=ax)
    assert again.count_bars_ is not None
    assert [b.get_height() for b in again.count_bars_] == [30]
    assert first.counts_ax_ not in fig.axes  # the cleared plot's bars are gone with it
    assert fig.axes == [ax, again.counts_ax_]
    # a second model drawn after it still shares its bars
    third = ErrorOverTimeDisplay.from_predictions(y[:30], y[:30], dates[:30], ax=ax, name="B")
    assert third.count_bars_ is None and len(fig.axes) == 2


def test_small_weighted_counts_do_not_read_as_empty_cells():
    """Weights that sum to 1 (300 posts of 1/300): a cell of one post was written "0.00", as
    a cell without posts is."""
    y_true = np.r_[np.full(298, 5.0), 50.0, 500.0]
    y_pred = np.r_[np.full(298, 5.0), 500.0, 50.0]
    disp = BucketConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, sample_weight=np.full(300, 1 / 300), ax=_ax()
    )
    assert disp.text_[1, 3].get_text() == "0.0033"
    assert disp.text_[1, 1].get_text() == "0.0000"  # an empty cell
    assert disp.text_[0, 0].get_text() == "0.9933"
    # the format is kept when drawn again
    assert disp.plot(ax=_ax()).text_[1, 3].get_text() == "0.0033"
    tiny = BucketConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, sample_weight=np.full(300, 1e-9), ax=_ax()
    )
    assert tiny.text_[1, 3].get_text() == "1e-09"
