"""The ``skbucket`` command line.

::

    skbucket demo                                  # train + evaluate on the bundled real sample
    skbucket fit DATA --model OUT.joblib [--config CFG.json]
    skbucket predict MODEL DATA -o preds.csv
    skbucket evaluate MODEL DATA
    skbucket report MODEL DATA -o report.html

``DATA`` is a table of posts in CSV (optionally gzip-compressed), TSV, Parquet (``.parquet``,
``.pq``) or Excel (``.xlsx``) format with the columns ``content, username, inferred_company,
date, media`` (``caption`` optional) and, for ``fit``/``evaluate``/``report``, the target column
(``likes``).

Every failure is reported as one line on standard error with a non-zero exit status:
``1`` for bad input (files, columns, model files), ``130`` when interrupted with Ctrl-C
(``143`` when ended by SIGTERM); a closed standard output (``| head``) ends the command
quietly with status ``1`` (``evaluate``, which prints its table there, refuses one closed
with ``>&-`` before any work); wrong command-line usage exits with ``2`` and argparse's usage
text. ``DATA`` is read by :func:`skbucket.tables.read_table` (``skbucket.cli.read_table`` is
the same function).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any, cast

from ._files import _names_a_folder, broken_link_text, dangling_link, replace_atomically
from ._frames import column_list

# model files are written and read in skbucket._modelfile; save_model and load_model are
# documented here, and MODEL_FILE_FORMAT read here as before
from ._modelfile import (  # noqa: F401
    _COMMAND_SETTINGS,
    MODEL_FILE_FORMAT,
    _save_model,
    _saved_settings,
    _saved_target,
    _unwritten_format,
    load_model,
    save_model,
)
from .cache import _text_problem
from .tables import (
    POST_COLUMNS,
    TABLE_FORMATS,
    CLIError,
    _check_columns,
    _check_input,
    _id_column,
    _largest_likes,
    _refuse_empty_rows,
    _refuse_postless_rows,
    _split_target,
    _suffix,
    read_table,
)

__all__ = ["CLIError", "load_model", "main", "save_model"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


class _Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a batch scheduler, ``docker stop``) as an interrupt,
    so that the cleanups Ctrl-C runs (temporary files, finished batches cached) run too."""


def _on_sigterm(signum, frame):
    raise _Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Handle SIGTERM as :class:`_Terminated` while a command runs (main thread only: Python
    takes signal handlers there alone)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _is_core_dependency(module) -> bool:
    """Whether the top-level module ``module`` is one of the packages the base install of
    skbucket requires (``[project] dependencies``), by its distribution's metadata."""
    import importlib.metadata as metadata

    if not module:
        return False
    top = module.partition(".")[0]
    try:
        required = metadata.requires("skbucket") or []
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return False
    core = {
        re.split(r"[\s<>=!~;\[(]", spec, maxsplit=1)[0].lower().replace("-", "_")
        for spec in required
        if "extra ==" not in spec
    }
    # the module's own name too: xgboost may come as the distribution xgboost-cpu
    names = [top, *metadata.packages_distributions().get(top, [])]
    return any(name.lower().replace("-", "_") in core for name in names)


def _load_config(path) -> dict:
    if path is None:
        return {}
    path = Path(path)
    _check_input(path, "config", pipes=True)  # ``--config <(...)``: a pipe, read once
    suffix = path.suffix.lower()
    try:  # utf-8-sig: a byte-order mark (Windows Notepad writes one) is no JSON
        config = _load_config_text(path.read_text(encoding="utf-8-sig"), suffix)
    except (ValueError, RecursionError) as exc:  # nested 10^4 deep: no stack for it
        how = "" if suffix in (".json", ".toml") else " as JSON (a .toml file is read as TOML)"
        raise CLIError(f"cannot parse config {path}{how}: {exc}") from exc
    if not isinstance(config, dict):
        raise CLIError(f"config {path} must hold a mapping of make_seed_pipeline arguments")
    return config


def _load_config_text(text: str, suffix: str):
    """The arguments a config file's ``text`` holds (TOML when ``suffix`` is ``.toml``, else
    JSON), with TOML's ``"none"`` as None and ``class_weight`` keys as bucket numbers."""
    if suffix == ".toml":
        import tomllib

        config = tomllib.loads(text)
    else:  # a key given twice: refused, as TOML does (json keeps the last without a word)
        config = json.loads(text, object_pairs_hook=_without_repeated_keys)
    if not isinstance(config, dict):
        return config
    if suffix == ".toml":  # TOML has no null: the string "none" stands for it
        config = {
            key: None if isinstance(value, str) and value.lower() == "none" else value
            for key, value in config.items()
        }
    weights = config.get("class_weight")
    if isinstance(weights, dict):  # JSON/TOML keys are strings; the buckets are 0, 1, ...
        config["class_weight"] = {}
        for key, value in weights.items():
            bucket = int(key) if isinstance(key, str) and key.strip().isdigit() else key
            if bucket in config["class_weight"]:  # "1" and "01"
                raise ValueError(f"class_weight names bucket {bucket} twice (key {key!r})")
            config["class_weight"][bucket] = value
    return config


def _without_repeated_keys(pairs):
    """A JSON object's pairs as a dict, refusing a key given twice."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is given twice (JSON would keep only the last)")
        out[key] = value
    return out


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


class _Reporter:
    """Step messages on stderr (silenced by ``--quiet``)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[skbucket] {message}", file=sys.stderr, flush=True)


#: the fewest seconds between two lines of progress where no bar can be drawn (a log)
PROGRESS_LINE_SECONDS = 60.0


def _progress_lines(args):
    """Where stderr shows no bars (a log, a batch job), the long steps write a line of
    progress about every :data:`PROGRESS_LINE_SECONDS` (none with ``--quiet``): see
    :func:`skbucket._models.progress_lines`."""
    if getattr(args, "quiet", False):
        return contextlib.nullcontext()
    from ._models import progress_lines

    prefix = "[skbucket demo] " if args.command == "demo" else "[skbucket] "  # as its messages
    return progress_lines(every=PROGRESS_LINE_SECONDS, prefix=prefix)


def _set_progress(estimator, enabled: bool | None) -> None:
    """Turn progress bars on or off (``None``: on when stderr is a terminal) in every estimator
    inside ``estimator`` that has them, the fitted copies included (a loaded model predicts
    with those, not with the templates its parameters hold)."""
    from ._models import set_everywhere

    set_everywhere(estimator, "progress", enabled)


def _format_metrics(
    metrics: dict, intervals: dict | None = None, baseline=None, label: str = "value"
) -> str:
    """The metrics as a text table; with ``intervals`` (``{metric: (low, high)}``, from
    :func:`skbucket.metrics.bootstrap_intervals`) a third column holds each metric's interval;
    with ``baseline`` (another model's metrics) a last column ``median`` holds its values, and
    the model's column (``label`` without one) is headed ``model``."""

    from .metrics import _format_metric

    width = max(len(k) for k in metrics)
    shown = {name: _format_metric(value, missing="n/a") for name, value in metrics.items()}
    value_width = max(len(label), *(len(v) for v in shown.values()))
    if baseline is not None:  # a last column, after the model's value and its interval
        lines = _format_metrics(metrics, intervals, label="model").split("\n")
        other = [_format_metric(baseline.get(name), missing="n/a") for name in shown]
        other_width = max(len("median"), *(len(v) for v in other))
        at = max(len(line) for line in lines)
        return "\n".join(
            f"{line:<{at}}  {value:>{other_width}}"
            for line, value in zip(lines, ["median", "-" * other_width, *other])
        )
    if intervals is None:  # the values right-aligned, as in the table with intervals
        lines = [
            f"{'metric':<{width}}  {label:>{value_width}}",
            f"{'-' * width}  {'-' * value_width}",
        ]
        lines += [f"{name:<{width}}  {value:>{value_width}}" for name, value in shown.items()]
        return "\n".join(lines)
    # each bound right-aligned in its own width, so the "to"s line up (wide and narrow
    # numbers made them wander)
    bounds = {
        name: (_format_metric(pair[0], missing="n/a"), _format_metric(pair[1], missing="n/a"))
        for name, pair in intervals.items()
        if name in shown and pair is not None
    }
    low_width = max((len(low) for low, _ in bounds.values()), default=0)
    high_width = max((len(high) for _, high in bounds.values()), default=0)
    span_width = max(len("95% interval"), low_width + 4 + high_width if bounds else 0)
    lines = [
        f"{'metric':<{width}}  {label:>{value_width}}  95% interval",
        f"{'-' * width}  {'-' * value_width}  {'-' * span_width}",
    ]
    for name, value in shown.items():
        span = ""
        if name in bounds:
            low, high = bounds[name]
            span = f"{low:>{low_width}} to {high:>{high_width}}"
        lines.append(f"{name:<{width}}  {value:>{value_width}}  {span}".rstrip())
    return "\n".join(lines)


def _probe_folder(folder: Path) -> None:
    """Create and remove a file in ``folder``: raises ``OSError`` when it cannot be written
    (no permission, read-only or full file system), which looking at it does not tell."""
    import tempfile

    with tempfile.NamedTemporaryFile(dir=folder, prefix=".skbucket-probe-"):
        pass


def _check_output(path, what: str, inputs=(), suffixes=None, refused=()) -> None:
    """Refuse, before any work, an output path that would overwrite an input or cannot be
    written (a folder, a name ending in a slash, ``.`` or ``..``, a parent that is a file, a
    link to nothing or that cannot be written into, a suffix we do not write, or one in
    ``refused``; a symbolic link is checked where it points, as it is written through). Missing folders
    are not made here (a failed run leaves none behind): the writer makes them."""
    # Path() drops a last slash and a last "." ("out/", "out/." are "out"), and ".." is no
    # file's name: the user meant a folder (the writer refused "out/." only after the work)
    if _names_a_folder(str(path)) or Path(path).name == "..":
        raise CLIError(f"{what} {str(path)!r} names a folder; give a file name in it")
    out = Path(path)
    for source in inputs:
        if source is not None and (
            out.resolve() == Path(source).resolve()
            or (out.exists() and Path(source).exists() and out.samefile(source))
        ):
            raise CLIError(f"{what} {str(out)!r} is also an input: refusing to overwrite it")
    if suffixes is not None and not str(out).lower().endswith(suffixes):
        raise CLIError(f"{what} {str(out)!r} must end in {' or '.join(suffixes)}")
    if str(out).lower().endswith(refused):
        raise CLIError(
            f"{what} {str(out)!r} has the suffix of a data, config or report file; the file "
            f"written there is none of them (name it e.g. model.joblib)"
        )
    if out.is_dir():
        raise CLIError(f"{what} {str(out)!r} is a folder, not a file")
    if out.exists() and not out.is_file():  # os.replace would swap a new file in for it
        raise CLIError(
            f"{what} {str(out)!r} is no regular file (a named pipe or a device): skbucket "
            "writes a new file and moves it there, which would replace it; give a file name"
        )
    # a link is written through (replace_atomically): its target's folder is the one written
    target = Path(os.path.realpath(out)) if out.is_symlink() else out
    broken = dangling_link(target.parent)
    if broken is not None:  # else refused by mkdir only after the work, as "File exists"
        raise CLIError(
            f"cannot create the folder of {what} {str(out)!r}: {broken_link_text(broken)}"
        )
    folder = target.parent
    while not folder.exists() and folder != folder.parent:  # the deepest folder there is
        folder = folder.parent
    if not folder.is_dir():
        raise CLIError(
            f"cannot create the folder of {what} {str(out)!r}: {str(folder)!r} is a file"
        )
    try:
        _probe_folder(folder)
    except OSError as exc:
        raise CLIError(
            f"cannot write {what} {str(out)!r}: the folder {str(folder)!r} cannot be "
            f"written into ({exc.strerror or exc})"
        ) from None
    try:
        _probe_replaceable(out, what)
    except OSError as exc:
        raise CLIError(str(exc)) from None


#: Windows does not replace a file another program holds open (a spreadsheet of the last
#: predictions) or one marked read-only; POSIX replaces both
_REPLACE_NEEDS_WRITABLE = os.name == "nt"


def _probe_replaceable(out: Path, what: str) -> None:
    """Refuse, before any work, an existing output file that cannot be replaced where that
    needs it writable (Windows): the command would otherwise fail at its very end."""
    if not (_REPLACE_NEEDS_WRITABLE and out.is_file()):
        return
    try:
        with open(out, "r+b"):
            pass
    except OSError as exc:
        raise OSError(
            f"cannot replace {what} {str(out)!r}: it is open in another program or read-only "
            f"({exc.strerror or exc}); close it there, or name another file"
        ) from None


def cmd_fit(args) -> int:
    from sklearn.base import clone

    from skbucket.pipeline import _role_columns, check_models, make_seed_pipeline, models_used

    say = _Reporter(args.quiet)
    _check_output(
        args.model,
        "--model",
        inputs=(args.data, args.config),
        refused=(*TABLE_FORMATS, ".json", ".toml", ".html", ".htm"),
    )
    unwritten = _unwritten_format(args.model)  # model.joblib.zip: before the fit, not after
    if unwritten is not None:
        raise CLIError(f"--model {str(args.model)!r}: {unwritten}")
    config = _load_config(args.config)
    if args.text_model is not None:  # the classifier's and the embedder's, as documented
        config["text_model"] = args.text_model
        config.pop("embedding_model", None)
    if args.caption_model is not None:
        config["caption_model"] = (
            None if args.caption_model.lower() == "none" else args.caption_model
        )
    if args.dayfirst is not None:  # as --text-model, the option overrides the config
        config["dayfirst"] = args.dayfirst
    if args.device is not None:
        _check_device(args.device)
        config["device"] = args.device
    _absolute_paths(config)
    try:  # it checks every step's parameters too (check_params), before any captioning
        pipeline = make_seed_pipeline(**config)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"bad config: {_toml_table_hint(exc, config, args.config)}") from exc
    roles = dict(pipeline.steps).get("roles")  # the config's "columns"
    names = _role_columns(pipeline)
    inputs = _columns_read(names, caption="caption" in names)
    if args.target in inputs:  # dropped as the target, then missed as an input
        role = inputs[args.target]
        raise CLIError(
            f"--target {args.target!r} is the column the pipeline reads as {role!r}"
            + (" (the config's columns maps it)" if role != args.target else "")
            + "; the target is the column of like counts"
        )
    frame = read_table(args.data, columns=names)

    def check_inputs(X) -> None:
        if roles is None:
            _check_columns(X, POST_COLUMNS, args.data, "the pipeline")
        else:  # the roles its columns give, and those it leaves under their own names
            try:
                clone(roles).fit(X)
            except ValueError as exc:
                raise CLIError(f"{args.data}: {exc}") from exc

    X, y = _split_target(frame, args.target, args.data, check_inputs=check_inputs)
    if args.quiet:  # else the config's "progress" (default None: bars on a terminal) holds
        _set_progress(pipeline, False)
    check_models(pipeline)  # before hours of captioning, not after
    _check_cache_folders(pipeline)
    if args.dayfirst is None and "dayfirst" not in config:
        _warn_unsettled_dates(pipeline, X, "fit")
    say(f"fitting on {len(X):,} posts from {args.data}; models: {models_used(pipeline)}")
    start = time.perf_counter()
    args.data_read = True  # an error from here on is about the data (the config is checked)
    pipeline.fit(X, y)
    say(f"fitted in {time.perf_counter() - start:.1f} s")
    # the config's "progress" holds for the commands that use the model too (not --quiet: it
    # is this run's, and the later commands have their own)
    settings = {key: config[key] for key in _COMMAND_SETTINGS if key in config}

    def save(to):
        return _save_model(pipeline, to, target=args.target, settings=settings)

    try:
        save(args.model)
    except OSError as exc:  # a disk that filled up during the fit: keep the fit if we can
        raise _saved_elsewhere(save, args.model, exc) from exc
    say(f"model written to {args.model}")
    return 0


def _saved_elsewhere(
    save, path, exc: OSError, what="the fitted model", prefix="skbucket-fit-", plural=False
):
    """The error for an output file that could not be written, after saving ``what`` with
    ``save(target_path) -> written_path`` in a new folder of the system's temporary folder
    (usually another file system than a full disk; on Windows, not the file another program
    holds open), so hours of captioning and fine-tuning are not lost with it."""
    import tempfile

    message = " ".join(str(exc).split())
    folder = None
    try:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        rescued = save(folder / Path(path).name)
    except OSError as again:
        if folder is not None:  # its own new folder: nothing of it is left behind
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        message += (
            f"; saving it in the temporary folder failed too ({again.strerror or again}): "
            f"{what} {'are' if plural else 'is'} lost"
        )
    else:
        message += f"; {what} {'were' if plural else 'was'} saved to {str(rescued)!r} instead"
    new = OSError(message)
    new.errno = exc.errno
    return new


#: config keys naming a checkpoint: a local folder, or a hub name (which is no path here)
_MODEL_KEYS = ("text_model", "embedding_model", "caption_model")
#: MODEL's help: a model file is a pickle, which runs code when it is loaded
_MODEL_HELP = "model file written by 'skbucket fit' (a pickle: load only files you trust)"


def _absolute_paths(config: dict) -> None:
    """Make the config's relative local paths absolute, in place, so the saved model points at
    the checkpoints and cache it was fitted with from whatever folder it is used later (a
    relative ``./minilm`` would be looked up, or another folder of that name read, there)."""
    for key in _MODEL_KEYS:
        value = config.get(key)
        if isinstance(value, str) and value and Path(value).expanduser().exists():
            config[key] = str(Path(value).expanduser().resolve())
    cache = config.get("cache")
    # blank text or a URL is left as written, for the cache check to refuse (a URL was made
    # the folder "redis:")
    if isinstance(cache, str | os.PathLike) and _text_problem(cache) is None:
        config["cache"] = str(Path(cache).expanduser().resolve())


def _model_and_data(args, check_model=None):
    """The reporter, the loaded model (progress bars off with ``--quiet``, else as the
    config of its ``skbucket fit`` set them, else on a terminal) and the data table;
    ``check_model(model)``, when given, runs before the table is read."""
    from skbucket._subestimators import _pipeline_steps
    from skbucket.metrics import _searched
    from skbucket.pipeline import _role_columns, check_models

    say = _Reporter(args.quiet)
    model = load_model(args.model)
    if args.target is None:  # the column the model was fitted on (likes for older files)
        args.target = _saved_target(args.model) or "likes"
    # the config's "progress" of the fit, recorded in the file (its steps hold False after
    # a fit with --quiet, which was that run's only)
    _set_progress(model, False if args.quiet else _saved_settings(args.model).get("progress"))
    if args.dayfirst is not None:
        _set_dayfirst(model, args.dayfirst)
    if args.device is not None:
        _set_device(model, args.device)
    check_models(model, fit=False)
    _check_cache_folders(model)
    if check_model is not None:
        check_model(model)
    names = _role_columns(model)
    frame = read_table(args.data, columns=names)
    best = _searched(model)  # a saved search predicts with its best estimator
    steps = _pipeline_steps(best)
    seen = set()  # the columns the model's first step found at fit: needed again
    for _, step in steps or [(None, best)]:
        if hasattr(step, "feature_names_in_"):
            seen = set(step.feature_names_in_)
            break
    # the caption too when no captioner makes it (a model fitted with caption_model=None)
    named_steps = dict(steps or ())
    read = list(_columns_read(names, caption=named_steps.get("caption") == "passthrough"))
    if args.target in [c for c in read if c in seen]:  # dropped, then missed as an input
        raise CLIError(
            f"--target {args.target!r} is a column the model reads as an input (it was fitted "
            "on it); the target is the column of like counts"
        )
    _check_columns(frame, [c for c in read if c in seen], args.data, "the model")
    args.data_read = True  # an error from here on is about this data: main() names the file
    if args.dayfirst is None:
        _warn_unsettled_dates(model, frame, args.command)
    from skbucket.pipeline import unseen_accounts_text

    unseen = unseen_accounts_text(model, frame)
    if unseen:
        say(unseen)
    return say, model, frame


def _columns_read(names: dict, *, caption: bool) -> dict:
    """``{column of the table: role}`` for the roles a seed pipeline reads (the post columns,
    the content, and the caption where no captioner makes it), by the table's own names
    ``names`` (``{role: column}``, a config's ``columns``)."""
    roles = (*POST_COLUMNS, "content", *(("caption",) if caption else ()))
    return {names.get(role, role): role for role in roles}


def _check_cache_folders(model) -> None:
    """Refuse, before any work, a cache folder of ``model``'s steps that is a file (the
    embedder opens its cache after every image is captioned), naming the parameter."""
    from skbucket.cache import CacheError, open_cache

    params = model.get_params(deep=True) if hasattr(model, "get_params") else {}
    for name, value in params.items():
        if (name == "cache" or name.endswith("__cache")) and isinstance(value, str | os.PathLike):
            try:
                open_cache(value)
            except CacheError as exc:
                raise CLIError(f"cache of the model's {name!r}: {exc}") from exc


def _toml_table_hint(exc: Exception, config: dict, path) -> str:
    """``exc``'s message, with the key an unknown one may stand for (``"epoch"``), or, where a
    TOML config's ``[columns]`` table took keys meant for the top level (every key after a
    table's header belongs to it), how to write it."""
    import inspect

    from skbucket.pipeline import make_seed_pipeline

    columns = config.get("columns")
    top_level = set(inspect.signature(make_seed_pipeline).parameters)
    unknown = re.search(
        r"make_seed_pipeline\(\) got an unexpected keyword argument '([^']+)'", str(exc)
    )
    if isinstance(exc, TypeError) and unknown:  # a typo ("epoch"): the key it may stand for
        import difflib

        key = unknown.group(1)
        near = difflib.get_close_matches(key, top_level, n=1, cutoff=0.6)
        near = near or difflib.get_close_matches(key.lower(), top_level, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}?" if near else f"the keys are {sorted(top_level)}"
        return f"unknown key {key!r} ({hint})"
    if not (isinstance(columns, dict) and str(path).lower().endswith(".toml")):
        return str(exc)
    taken = [key for key in columns if key in top_level]
    if not taken:
        return str(exc)
    return (
        f"{exc} ({', '.join(map(repr, taken))} are make_seed_pipeline arguments: in TOML every "
        "key after the [columns] header belongs to that table; put [columns] last)"
    )


def _set_dayfirst(model, dayfirst: bool) -> None:
    """``--dayfirst``/``--no-dayfirst``: how every step of ``model`` reads this data's dates.

    Date features and prompts are computed per row, so a fitted model may read new data in
    another order than its training data (the instants are the same). Set on the fitted
    copies too, as ``--quiet`` is.
    """
    from ._models import every_estimator, set_everywhere
    from .dates import DayMonthOrderWarning, unsettled_order_example

    flag = "--dayfirst" if dayfirst else "--no-dayfirst"
    # before the setting: a reader's fitted order is its dayfirst_, the flag's is new
    example = next(
        (e for step in every_estimator(model) if (e := unsettled_order_example(step, dayfirst))),
        None,
    )
    if not set_everywhere(model, "dayfirst", dayfirst):
        raise ValueError(f"{flag}: the model has no step that reads dates (no dayfirst setting)")
    if example is not None:  # the flag lifts the check against the training dates
        order, fit_order = ("day", "month") if dayfirst else ("month", "day")
        warnings.warn(
            f"{flag} reads this file's dates {order} first, but the model read its training "
            f"dates {fit_order} first, and none of them settled the order (all ambiguous, "
            f"e.g. {example!r}): if they were {order} first too, the model learned from "
            f"misread dates; fit it again with `skbucket fit {flag}`.",
            DayMonthOrderWarning,
            stacklevel=2,
        )


def _check_device(device: str) -> None:
    """Refuse ``--device`` naming an unknown device or one this machine lacks, now."""
    from ._models import DeviceNotAvailableError, resolve_device

    try:
        resolve_device(device)
    except DeviceNotAvailableError as exc:  # its remedies are Python's: the flag's instead
        said = str(exc).split(" (use device=")[0]
        raise CLIError(f"--device {device}: {said} (here: --device auto or --device cpu)") from exc
    except ValueError as exc:
        raise CLIError(f"--device {device}: {exc}") from exc


def _set_device(model, device: str) -> None:
    """``--device``: where every text and caption model of ``model`` runs (a model fitted
    with ``"device": "cuda"`` on a GPU machine, used on a laptop). Set on the fitted copies
    too, as ``--quiet`` is; only on skbucket's model wrappers (XGBoost's own ``device``
    takes other values). A model that runs none takes the option as it is, so a script may
    pass it to every model."""
    from ._models import TransformersEstimatorMixin, every_estimator

    _check_device(device)
    for step in every_estimator(model):  # a model without any: nothing to move
        if isinstance(step, TransformersEstimatorMixin):
            # a mixin of BaseEstimators: set_params is theirs (Any: scikit-learn is untyped)
            cast(Any, step).set_params(device=device)


def _warn_unsettled_dates(model, frame, command: str) -> None:
    """Warn (:class:`~skbucket.dates.DayMonthOrderWarning`) when the date column ``model``
    reads holds numeric dates that are all ambiguous (``05/04/2020``: 5 April or May 4) and
    nothing settles their order: neither a date of the file readable only one way nor, for a
    fitted model, one of its training dates. They are read in the model's order, month first
    unless it was fitted day first, which a day-first export of a few days (a daily batch of
    posts from the 1st to the 12th) got wrong without a word. A flag settles it."""
    from skbucket._models import estimators_in_use
    from skbucket.dates import (
        DayMonthOrderWarning,
        _evidence_and_misread,
        dates_seen,
        day_month_examples,
    )
    from skbucket.pipeline import _column_of_role
    from skbucket.plotting import model_dayfirst

    column = _column_of_role(model, "date")
    # the order of the parts as the model predicts (a saved search's best model, not its
    # template); None: no part reads dates
    dayfirst = model_dayfirst(model, default=None)
    if dayfirst is None or column not in getattr(frame, "columns", ()):
        return
    found = day_month_examples(frame[column])  # one pass: the first date of each kind
    first_ambiguous = _evidence_and_misread(found, False)[1]
    if first_ambiguous is None:  # no numeric date that reads two ways
        return
    seen = [
        d for _, r in estimators_in_use(model) if hasattr(r, "dayfirst_") for d in dates_seen(r)
    ]
    for dates in (found, seen):  # a date readable only one way settles the order
        if any(_evidence_and_misread(dates, order)[0] is not None for order in (False, True)):
            return
    order, other = ("day", "month") if dayfirst else ("month", "day")
    flag, same = ("--no-dayfirst", "--dayfirst") if dayfirst else ("--dayfirst", "--no-dayfirst")
    settles = (
        "none settles the order: they are read {order} first, and the model learns from them so"
        if command == "fit"
        else "neither they nor the model's training dates settle the order: they are read "
        "{order} first, as the model was fitted"
    ).format(order=order)
    warnings.warn(
        f"column {column!r} holds numeric dates that read either way, such as "
        f"{found[first_ambiguous]!r}, and {settles}. If they are {other} first, pass "
        f"{flag} ({same} confirms {order} first).",
        DayMonthOrderWarning,
        stacklevel=2,
    )


def _day_month_in_flags(exc, command: str) -> str | None:
    """A date column's day/month conflict (:func:`~skbucket.dates.check_day_month`'s error)
    with its remedy in the command's flags, not in Python's ``dayfirst=True``; None for
    another error, or a command without the flags (the demo)."""
    conflict = getattr(exc, "conflict", None)
    now, refit = getattr(exc, "suggested_dayfirst", None), getattr(exc, "refit_dayfirst", None)
    if not isinstance(conflict, str) or command not in ("fit", "predict", "evaluate", "report"):
        return None
    if now is None and refit is None:
        return None
    text = re.sub(r" with dayfirst=(?:True|False)\)", ")", conflict)  # "(read month first)"
    text = re.sub(r" \(dayfirst=(?:True|False)\)", "", text)
    dayfirst = now if now is not None else refit
    flag = "--dayfirst" if dayfirst else "--no-dayfirst"
    other = "day" if dayfirst else "month"
    if now is not None:
        remedy = f"pass {flag} if the column is {other} first"
        tail = ", or write the dates as ISO 8601 (2021-04-03)."
    else:  # the training dates were misread: only a new fit reads them right
        remedy = f"fit again with `skbucket fit {flag}` if the column is {other} first"
        tail = ", or with the training dates written as ISO 8601 (2021-04-03)."
    return " ".join(f"{text}; {remedy}{tail}".split())


def cmd_predict(args) -> int:
    import pandas as pd

    _check_output(args.output, "-o", inputs=(args.data, args.model), suffixes=(".csv", ".csv.gz"))
    say, model, frame = _model_and_data(args, check_model=_check_routes if args.buckets else None)
    _refuse_empty_rows(frame, args.data)
    X = frame.drop(columns=[args.target]) if args.target in frame.columns else frame
    if args.target in frame.columns:  # a total row is no post to predict either
        _refuse_postless_rows(X, args.target, args.data, likes=frame[args.target])
    say(f"predicting {len(X):,} posts")
    if args.buckets:
        out = _predictions_with_buckets(model, X, frame.index)
    else:
        out = pd.DataFrame({"prediction": model.predict(X)}, index=frame.index)
    id_name = _id_column(frame.columns)  # "id", else one "ID" or "Id", named as in DATA
    if id_name is not None:
        out.insert(0, id_name, frame[id_name].to_numpy(dtype=object))  # ints stay ints

    def save(path: Path) -> Path:
        replace_atomically(path, lambda fh: _write_csv(out, fh, path), "predictions file")
        return path

    try:
        save(Path(args.output))
    except OSError as exc:  # a full disk, a file held open: the predictions are kept
        raise _saved_elsewhere(
            save, args.output, exc, "the predictions", "skbucket-predict-", plural=True
        ) from exc
    say(f"predictions written to {args.output}")
    return 0


def _check_routes(model) -> None:
    """Refuse ``--buckets`` before any work for a model whose final step routes no buckets."""
    from skbucket.metrics import _split_final

    final = _split_final(model)[1]
    if not hasattr(final, "predict_bucket"):
        raise CLIError(
            f"--buckets: the model's final step, {type(final).__name__}, routes no buckets "
            "(it has no predict_bucket); predict without --buckets"
        )


def _predictions_with_buckets(model, X, index):
    """The ``prediction`` column, then ``bucket`` (the routed bucket's label) and ``p_<label>``
    (the router's probability of each bucket), from one pass through the pipeline's steps."""
    import numpy as np
    import pandas as pd

    from skbucket.metrics import _predict_once, bucket_labels, final_bins

    pred, routed, proba = _predict_once(model, X, buckets=True, proba=True)
    labels = bucket_labels(final_bins(model))
    out = pd.DataFrame(
        {"prediction": pred, "bucket": np.asarray(labels, dtype=object)[routed]}, index=index
    )
    if proba is None:  # a router without predict_proba: its buckets are one-hot
        warnings.warn(
            "--buckets: the model's router gives no probabilities (no predict_proba): the "
            "predictions file has a bucket column but no p_ columns",
            UserWarning,
            stacklevel=2,
        )
    else:
        for k, label in enumerate(labels):
            out[f"p_{label}"] = proba[:, k]
    return out


def _write_csv(frame, fh, path: Path) -> None:
    """``frame`` as UTF-8 CSV into the binary file ``fh``, gzip-compressed when ``path`` ends
    in ``.gz``; the gzip header names ``path`` (``preds.csv``), not the temporary file, so
    ``gunzip -N`` restores the right name. ``fh`` is left open (its owner closes it)."""
    import io

    def write_text(binary) -> None:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        frame.to_csv(text, index=False)
        text.flush()
        text.detach()  # not close(): that would close ``binary``

    if not path.name.lower().endswith(".gz"):
        write_text(fh)
        return
    import gzip

    with gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=fh) as packed:
        write_text(packed)


def cmd_evaluate(args) -> int:
    _check_stdout("the metrics table")  # its only output: not after every post is predicted
    say, model, frame = _model_and_data(args)
    X, y = _split_target(frame, args.target, args.data, largest=_largest_likes())
    group_column = _group_column(args, X, model)
    say(f"evaluating on {len(X):,} posts")
    from skbucket.metrics import _predict_once, evaluate, final_bins
    from skbucket.pipeline import warn_training_posts
    from skbucket.report import _intervals, _undefined_note

    baseline, fitted_on, seen = None, "", ""
    if args.baseline is not None:
        baseline, fitted_on, seen = _baseline(args, model, X)
    y_true = y.to_numpy(dtype=float)
    y_pred, bucket_pred, _ = _predict_once(model, X)
    # once the posts are read (not before an error of theirs), before the numbers it is about
    warn_training_posts(model, X)
    metrics = evaluate(y_true, y_pred, bucket_pred=bucket_pred, bins=final_bins(model))
    differences: dict  # {name: {metric: PairedDifference}}, with the intervals only
    beside, others, differences, boot = None, {}, {}, None
    # the names the notes give, each kept on one line (spaces and all) to be copied whole
    names = [] if args.baseline is None else [str(args.baseline)]
    if baseline is not None:  # scored as the report scores a model without a router
        others = {"median": baseline.predict(X)}
        beside = evaluate(y_true, others["median"], bins=final_bins(model))
    if args.intervals:
        from skbucket.pipeline import _column_of_role

        column = _column_of_role(model, group_column)
        boot = _intervals(X, y_true, y_pred, column, others)
        intervals, note, differences = boot[:3]
        names += [repr(column), column] if isinstance(column, str) else []
        # intervals None: no interval column (none were drawn)
        lines = [_format_metrics(metrics, intervals or None, beside), _wrap(note, names)]
    else:
        lines = [_format_metrics(metrics, baseline=beside)]
    if beside is not None:
        lines.append(
            _wrap(
                f"median: {fitted_on}; its bucket metrics score the buckets of its predicted "
                "likes"
                + (", the model's those its router chose" if bucket_pred is not None else "")
                + "."
                + (f" {seen}" if seen else ""),
                names,
            )
        )
    # after what the median is: the model minus it, on the intervals' resamples
    if boot is not None:  # (without, there are no differences)
        lines += [
            _format_differences(name, rows, boot.narrow) for name, rows in differences.items()
        ]
    undefined = _undefined_note(metrics)
    if undefined:  # as the report says it under its table
        lines.append(_wrap(undefined.strip()))
    _check_stdout("the metrics table")  # set to None meanwhile (by a program calling main)
    with _writing_stdout():
        print("\n".join(lines), flush=True)
    return 0


def _wrap(text: str, names=()) -> str:
    """``text`` wrapped at 80 columns for a terminal, line by line of it; a word longer than
    that is kept whole on a line of its own, not cut, and so is each of ``names`` (a path, a
    column's name) that ``text`` holds, its spaces too, so that it can be copied."""
    import textwrap

    glue = "\0"  # no path holds it, and a text that does is wrapped at every space
    names = [n for n in names if " " in n] if glue not in text else []
    for name in sorted(names, key=len, reverse=True):  # a longer name first, as it may hold one
        text = text.replace(name, name.replace(" ", glue))
    return "\n".join(
        textwrap.fill(line, width=80, break_on_hyphens=False, break_long_words=False)
        for line in text.split("\n")
    ).replace(glue, " ")


def _format_differences(name: str, differences: dict, narrow: bool) -> str:
    """The model's error metrics minus those of the model ``name`` (``{metric:
    PairedDifference}``, from :func:`skbucket.metrics.paired_bootstrap`) as lines of text
    wrapped at 80 columns (a row too wide goes on, indented, on the next line); ``narrow``: the intervals' note says they are narrower than
    their 95%, and so does the first line of this one."""
    from skbucket.report import _share, _signed

    rows = [
        (metric, _signed(d.difference), _signed(d.low), _signed(d.high), _share(d.share_better))
        for metric, d in differences.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    head = (
        f"model minus {name} (negative: the model's error is lower), with a 95% paired bootstrap "
        "interval (both scored on each resample above; one that holds 0: these posts cannot "
        "tell the two apart"
        + ("; like the intervals, it is narrower than its 95% here" if narrow else "")
        + "):"
    )
    import textwrap

    # a row wider than 80 columns (differences of 10 or more) goes on, indented, below
    return "\n".join(
        [_wrap(head)]
        + [
            textwrap.fill(
                f"  {metric:<{widths[0]}}  {value:>{widths[1]}}  {low:>{widths[2]}} to "
                f"{high:>{widths[3]}}  model lower in {share} of the resamples",
                width=80,
                subsequent_indent=" " * 4,
                break_on_hyphens=False,
                break_long_words=False,
                drop_whitespace=False,
                replace_whitespace=False,
            ).replace(" \n", "\n")
            for metric, value, low, high, share in rows
        ]
    )


def _check_stdout(what: str) -> None:
    """Refuse a closed standard output (``>&-``: Python's ``sys.stdout`` is None, and
    ``print`` writes nothing without a word) for a command whose result, ``what``, is
    printed there: it ended with status 0 having shown nothing."""
    if sys.stdout is None:
        raise OSError(
            f"cannot write standard output: it is closed (>&-), and {what} is written there; "
            "give the command a standard output (a terminal, a file: > metrics.txt)"
        )


@contextlib.contextmanager
def _writing_stdout():
    """Name standard output in a failed write to it (``> /dev/full``: not only "No space left
    on device"); a reader that went away (BrokenPipeError) is :func:`main`'s, as before."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        _quiet_stdout()  # what the stream still buffers would fail again at exit
        raise OSError(f"cannot write standard output: {exc.strerror or exc}") from None


def _baseline(args, model, X):
    """``(baseline, what, seen)``: the per-account median
    (:class:`~skbucket.baselines.GroupMedianRegressor`) fitted on the labelled posts of
    ``--baseline`` (read by the model's column mapping), grouped by the columns the model reads
    the account and the company from (those that both TRAIN and the posts ``X`` hold); what
    it is, for the notes (what it groups by, how many posts it was fitted on); and a sentence
    on the posts of ``X`` whose likes it has seen (in TRAIN too, by id: ``_id_column``; empty
    when none)."""
    from skbucket.baselines import GroupMedianRegressor
    from skbucket.pipeline import _column_of_role, _role_columns

    args.data_read = False  # an error here is TRAIN's, which it names: not "(in DATA)"
    path = args.baseline
    with contextlib.suppress(OSError):  # a missing file: read_table names it
        if os.path.samefile(path, args.data):  # the same file by any path or link
            raise CLIError(
                f"--baseline {path} is DATA itself: the median would be scored on the posts "
                "it was fitted on, against a model that has not seen them; give the model's "
                "training data"
            )
    excel = TABLE_FORMATS.get(_suffix(Path(path))) == "excel"
    # an error reading TRAIN names its rows as TRAIN numbers them (main() words the message
    # after this returns: left so on an error), not as DATA's sheet
    was, _SHEET_DATA[0] = _SHEET_DATA[0], (str(path) if excel else None)
    train = read_table(path, columns=_role_columns(model))
    X_train, y_train = _split_target(train, args.target, path)
    _SHEET_DATA[0] = was
    roles = [_column_of_role(model, role) for role in ("username", "inferred_company")]
    groups = [c for c in roles if c in X_train.columns and c in X.columns]
    if not groups:
        raise CLIError(
            f"{path}: --baseline groups posts by account or company, and none of the columns "
            f"{roles} is in both it and DATA; columns present: {column_list(X_train.columns)}"
        )
    shared = 0
    # "id", else one "ID" or "Id", in each file (TRAIN's "ID" matches DATA's "id")
    train_ids, data_ids = _id_column(X_train.columns), _id_column(X.columns)
    if train_ids is not None and data_ids is not None:
        from skbucket._cells import _category_text, _is_missing

        def ids(column) -> list:  # as text, as accounts are compared: 101, 101.0 and "101"
            # (a CSV reads its ids as text, a Parquet file with one missing id as floats)
            return [_category_text(v) for v in column if not _is_missing(v)]

        known = set(ids(X_train[train_ids]))
        shared = sum(v in known for v in ids(X[data_ids]))
    # fitted on the columns it groups by, after a step that selects them from any table:
    # fitted on all of TRAIN's, scikit-learn's check of feature names refused DATA whose
    # columns came in another order, or which held one that TRAIN lacked
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline

    select = ColumnTransformer([("groups", "passthrough", groups)], verbose_feature_names_out=False)
    baseline = make_pipeline(
        select.set_output(transform="pandas"), GroupMedianRegressor(group_columns=tuple(groups))
    ).fit(X_train[groups], y_train)
    args.data_read = True
    kind = (
        "per-account"
        if roles[0] in groups
        else f"per-company ({groups[0]!r}; no account column {roles[0]!r} in both files)"
    )
    what = f"the {kind} median baseline, fitted on {path} ({len(X_train):,} posts)"
    seen = (
        f"{shared:,} of the {len(X):,} posts are in {path} too (by id): the median has seen "
        "their likes, which flatters it."
        if shared
        else ""
    )
    return baseline, what, seen


def _group_column(args, X, model) -> str | None:
    """The column whose values the bootstrap intervals resample whole, as given to
    :func:`~skbucket.report.write_report` (which reads a role name as the model reads it):
    ``--group-column`` (``none``: rows one by one), else the company, ``inferred_company``
    (the report falls back to rows, and says so, where the data lacks it). A role name the
    model's ``columns`` gives another column stands for that column, which must be there."""
    from skbucket.pipeline import _column_of_role

    if args.group_column is None:
        return "inferred_company"
    if args.group_column.lower() == "none":
        return None
    column = _column_of_role(model, args.group_column)
    named = repr(args.group_column) + (
        f" (read from {column!r})" if column != args.group_column else ""
    )
    if column == args.target:
        raise CLIError(
            f"--group-column {named} is the target column; the intervals "
            "resample posts by a column that groups them (an account, a company)"
        )
    if column not in X.columns:
        raise CLIError(
            f"{args.data}: --group-column {named} not found; columns present: "
            f"{column_list(X.columns)}"
        )
    return args.group_column


def cmd_report(args) -> int:
    from skbucket._clock import generated_at
    from skbucket.pipeline import models_used
    from skbucket.plotting import require_matplotlib
    from skbucket.report import render_report

    _check_output(args.output, "-o", inputs=(args.data, args.model), suffixes=(".html", ".htm"))
    require_matplotlib()  # before every post is captioned and predicted, not after
    generated_at()  # a SOURCE_DATE_EPOCH it cannot read: now, not after every prediction
    say, model, frame = _model_and_data(args)
    X, y = _split_target(frame, args.target, args.data, largest=_largest_likes())
    group_column = _group_column(args, X, model)
    baselines = None
    config = {"model file": str(args.model), "target column": args.target}
    if args.baseline is not None:
        baseline, fitted_on, seen = _baseline(args, model, X)
        baselines = {"median": baseline}
        config["baseline"] = f"median: {fitted_on}" + (f". {seen}" if seen else "")
        if seen:  # the configuration is far below the table: said now too
            warnings.warn(seen, UserWarning, stacklevel=2)
    say(f"evaluating {len(X):,} posts for the report")
    if args.dayfirst is not None:  # the parameters below show it: not what the file holds
        flag = "--dayfirst" if args.dayfirst else "--no-dayfirst"
        config["dates read with"] = f"{flag} (command line; the model file is unchanged)"
    with contextlib.suppress(ValueError):  # not a seed pipeline: its configuration says it
        config = {"models used": models_used(model), **config}
    page = render_report(
        model,
        X,
        y,
        title=f"skbucket report: {Path(args.data).name}",
        config=config,
        group_column=group_column,  # a role name is read from the model's column for it
        baselines=baselines,
    ).encode("utf-8")

    def save(path: Path) -> Path:  # as write_report writes it
        replace_atomically(path, lambda fh: fh.write(page), "report")
        return path

    try:
        save(Path(args.output))
    except OSError as exc:  # a full disk: every post was predicted, the page is kept
        raise _saved_elsewhere(save, args.output, exc, "the report", "skbucket-report-") from exc
    say(f"report written to {args.output}")
    return 0


def cmd_demo(args) -> int:
    from skbucket.demo import run_demo

    run_demo(
        out_dir=args.out,
        n_rows=args.rows,
        classifier=args.classifier,
        epochs=args.epochs,
        quiet=args.quiet,
    )
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skbucket",
        description="Predict social-media likes with BLIP-2 captions, DistilBERT and "
        "bucketed regressors.",
    )
    from skbucket import __version__

    parser.add_argument("--version", action="version", version=f"skbucket {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="no progress bars or step messages (warnings and errors still print)",
        )
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "train and evaluate on the bundled real sample, write a report")
    p.add_argument("--out", default="skbucket-demo", help="output folder (default: %(default)s)")
    p.add_argument(
        "--rows", type=_positive_int, default=None, help="use only this many rows (10 to 3,000)"
    )
    p.add_argument(
        "--classifier",
        choices=["hgb", "hybrid", "distilbert"],
        default="hgb",
        help="'hgb' (an HGB router on the prompt embeddings and post features, soft log-space "
        "routing, log1p target: fast, no fine-tuning), 'hybrid' (make_seed_pipeline's "
        "default: the same routing and target, with a fine-tuned text router for posts of "
        "companies never seen in training and an HGB router on the post features only for the "
        "others) or 'distilbert' (the seed as published: "
        "fine-tuned text router, hard routing on raw likes); the last two take minutes more "
        "on a CPU; default: %(default)s",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=1,
        help="fine-tuning epochs of the text router (unused with hgb; default: %(default)s)",
    )

    p = add("fit", cmd_fit, "fit the seed pipeline on a table of posts")
    p.add_argument("data", help="CSV, TSV (.gz), Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument(
        "--model",
        required=True,
        help="where to write the fitted model (.joblib; .joblib.gz, .bz2, .xz or .lzma: "
        "compressed)",
    )
    p.add_argument("--config", help="JSON or TOML file of make_seed_pipeline arguments")
    p.add_argument(
        "--text-model",
        help="text model name or local path of the classifier and the embedder (overrides "
        "text_model and embedding_model of the config)",
    )
    p.add_argument("--caption-model", help="caption model name or path, or 'none'")
    p.add_argument("--target", default="likes", help="target column (default: %(default)s)")
    p.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read the training file's ambiguous numeric dates day first (03/04/2021 = 3 "
        "April), or month first with --no-dayfirst; the model reads later files so too; "
        "default: the config's dayfirst, else month first. ISO 8601 dates are read the same "
        "either way",
    )
    p.add_argument(
        "--device",
        default=None,
        help="where the text and caption models run, now and in the model file: auto (the "
        "first CUDA GPU, else Apple's MPS, else the CPU), cpu, cuda, cuda:1, mps; default: "
        "the config's device, else auto",
    )

    p = add("predict", cmd_predict, "predict likes for a table of posts")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, TSV (.gz), Parquet or XLSX/XLSM file of posts")
    p.add_argument("-o", "--output", required=True, help="CSV file to write predictions to")
    p.add_argument("--target", default=None, help=_TARGET_HELP + " (ignored if present)")
    p.add_argument(
        "--buckets",
        action="store_true",
        help="also write each post's bucket as the model's router chose it (column bucket, "
        "e.g. 101-300) and the router's probability of every bucket (columns p_0-10 ... "
        "p_>2500)",
    )
    _add_dayfirst(p)
    _add_device(p)

    p = add("evaluate", cmd_evaluate, "print the metrics table of a model on labelled posts")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, TSV (.gz), Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument("--target", default=None, help=_TARGET_HELP)
    _add_dayfirst(p)
    _add_device(p)
    _add_group_column(p)
    p.add_argument(
        "--intervals",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print a 95%% bootstrap interval beside rmse_log1p and mae_log1p, and with "
        "--baseline the model's minus the median's with a paired interval (default: yes; none "
        "for rmse on raw likes, nor when the posts come from 2 to 9 groups, or are 2 to 9 posts "
        "resampled one by one)",
    )
    _add_baseline(p)

    p = add("report", cmd_report, "write a self-contained HTML evaluation report")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("data", help="CSV, TSV (.gz), Parquet or XLSX/XLSM file of posts with likes")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--target", default=None, help=_TARGET_HELP)
    _add_dayfirst(p)
    _add_device(p)
    _add_group_column(p)
    _add_baseline(p)
    return parser


_TARGET_HELP = (
    "target column (default: the one the model was fitted on, recorded by skbucket fit; "
    "likes for a model file that records none)"
)


def _add_group_column(p) -> None:
    p.add_argument(
        "--group-column",
        metavar="COLUMN",
        default=None,
        help="column whose values the bootstrap intervals of the error metrics resample whole "
        "(posts of one company are not independent; 2 to 9 values give no intervals); 'none' "
        "resamples posts one by one; default: inferred_company where the data has it, else "
        "posts one by one (a role name that the model's columns config gives another column "
        "stands for that column)",
    )


def _add_baseline(p) -> None:
    p.add_argument(
        "--baseline",
        metavar="TRAIN",
        default=None,
        help="also score the per-account median (the account's median likes in TRAIN, else "
        "its company's, else all posts'; skbucket.GroupMedianRegressor) on the same posts, in "
        "a column beside the model's, and the model's error minus the median's with a paired "
        "bootstrap interval: TRAIN is a table of labelled posts, the model's training data",
    )


def _add_device(p) -> None:
    p.add_argument(
        "--device",
        default=None,
        help="where the model's text and caption models run: auto (the first CUDA GPU, else "
        "Apple's MPS, else the CPU), cpu, cuda, cuda:1, mps; default: as the model was "
        "fitted",
    )


def _add_dayfirst(p) -> None:
    p.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read this file's ambiguous numeric dates day first (03/04/2021 = 3 April), or "
        "month first with --no-dayfirst; default: as the model was fitted. ISO 8601 dates "
        "are read the same either way",
    )


def _one_line_warning(message, category, filename, lineno, file=None, line=None, *, command=None):
    """Warnings (failed captions, unparseable dates, ...) as one line each on stderr, with the
    ``command``'s own remedy where a warning's is Python's."""
    text = _with_sheet_rows(" ".join(str(message).split()))
    if category.__name__ == "TooFewRowsWarning" and "min_samples_leaf" in text:
        # its remedy is a classifier object, which no option or config key holds
        text += _TOO_FEW_ROWS_HINT.get(command, "")
    if category.__name__ == "NoPostTextWarning" and command == "fit":
        # its remedies are make_seed_pipeline's and PromptBuilder's arguments
        text += _NO_POST_TEXT_HINT
    print(f"[skbucket] warning: {text}", file=sys.stderr, flush=True)


#: where a command-line user names the column of the posts' text (the warning names
#: make_seed_pipeline's and PromptBuilder's ``columns``)
_NO_POST_TEXT_HINT = (
    ' (here: name the text column in the --config file, "columns": {"content": "<name>"}, '
    "or rename it to content; posts that are only media need nothing)"
)

#: the remedy that the note of an interrupted run whose results were kept in memory only
#: gives (:func:`skbucket.cache.interrupt_note`): Python's, a parameter of the estimators
_PYTHON_CACHE_REMEDY = "set cache to a folder to keep them"
#: the command line's, per command: a config key, which only ``fit`` reads (the later
#: commands use the cache of the model's fit)
_CACHE_REMEDY = {
    "fit": 'give the --config file a "cache" folder to keep them, e.g. "cache": "cache/"',
    **dict.fromkeys(
        ("predict", "evaluate", "report"),
        'a model fitted with a "cache" folder in its --config file keeps them',
    ),
}
#: the loggers whose messages give that note (the batches of the embedder, the classifier and
#: the captioner)
_INTERRUPT_LOGGERS = ("skbucket._models", "skbucket.captioning")


class _CacheRemedy:
    """A :mod:`logging` filter for the note of an interrupted run (Ctrl-C while posts are
    embedded or captioned): it gives a command's ``remedy`` in place of Python's (none: left
    as it is) and starts with the command's ``prefix`` (``[skbucket] ``), as its other
    messages and warnings do."""

    def __init__(self, remedy: str | None, prefix: str = "[skbucket] "):
        self.remedy = remedy
        self.prefix = prefix

    def filter(self, record) -> bool:
        with contextlib.suppress(Exception):  # a record whose arguments do not format
            text = record.getMessage()
            said = text
            if self.remedy is not None and _PYTHON_CACHE_REMEDY in text:
                text = text.replace(_PYTHON_CACHE_REMEDY, self.remedy)
            if not text.startswith(self.prefix):
                text = f"{self.prefix}{text}"
            if text != said:  # a note already starting with the prefix keeps its new remedy
                record.msg, record.args = text, ()
        return True


@contextlib.contextmanager
def _cache_remedy_in_flags(command: str):
    """Within the block, the note of an interrupted run gives the ``command``'s way to keep
    its results (a config's ``"cache"`` folder), not Python's ``set cache to a folder``, and
    starts with ``[skbucket] `` (the demo's ``[skbucket demo] ``) as the command's other
    notes do (it was printed bare, between them)."""
    import logging

    remedy = _CACHE_REMEDY.get(command)  # None: the demo caches in its folder
    prefix = "[skbucket demo] " if command == "demo" else "[skbucket] "
    loggers = [logging.getLogger(name) for name in _INTERRUPT_LOGGERS]
    flags = _CacheRemedy(remedy, prefix)
    for logger in loggers:
        logger.addFilter(flags)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(flags)


#: where a command-line user finds more rows for the router, per command
_TOO_FEW_ROWS_HINT = {
    "fit": (
        " (here: a --config file names a classifier, it cannot set min_samples_leaf: "
        "fit on more rows)"
    ),
    "demo": " (here: more --rows)",
}


#: the command's data file when it is a workbook, whose rows its messages also name by sheet row
_SHEET_DATA: list = [None]
#: a row of the data named by its position, not already a sheet row nor given its convention
_ROW_POSITION = re.compile(r"(?<!sheet )\brow (\d+)\b(?! \(sheet row| counting)")
#: rows of the data listed by their positions (``first rows [3, 4]``)
_ROW_POSITIONS = re.compile(r"(?<!sheet )\brows \[(\d+(?:, \d+)*)\](?! \(sheet rows)")
#: a value quoted in a message (``'same as row 12'``), which is shown as the file holds it
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _sheet_rows_of(match) -> str:
    """``rows [3, 4] (sheet rows 5, 6)`` for a match of ``_ROW_POSITIONS``."""
    rows = [int(n) + 2 for n in match[1].split(", ")]
    return f"{match[0]} (sheet row{'s' * (len(rows) > 1)} {', '.join(map(str, rows))})"


def _with_sheet_rows(message: str) -> str:
    """``message`` with each ``row N`` of a workbook's posts followed by its sheet row
    (``row 3 (sheet row 5)``, ``rows [3, 4] (sheet rows 5, 6)``): rows are counted from 0
    after the header, as pandas counts them, and Excel numbers the header 1. The file's
    path and quoted values are left as they are."""
    path = _SHEET_DATA[0]
    if path is None:
        return message
    kept = re.compile(f"{re.escape(path)}|{_QUOTED.pattern}")
    out, at = [], 0
    for match in [*kept.finditer(message), None]:
        end = len(message) if match is None else match.start()
        text = _ROW_POSITION.sub(lambda m: f"{m[0]} (sheet row {int(m[1]) + 2})", message[at:end])
        text = _ROW_POSITIONS.sub(_sheet_rows_of, text)
        out.append(text)
        if match is not None:
            out.append(match[0])
            at = match.end()
    return "".join(out)


def _quiet_stdout() -> None:
    """The reader of standard output went away (``skbucket evaluate ... | head -3``): point
    standard output at the null device, so the interpreter's last flush does not fail again,
    and end without a message, as Python's documentation recommends (exit status 1)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):  # an object without a fd
        _to_null_device(sys.stdout.fileno())


def _to_null_device(fd: int) -> None:
    """Point the descriptor ``fd`` at the null device: writes to it succeed and go nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class _Diagnostics:
    """Standard error while a command runs: its messages, warnings and progress bars are
    diagnostics, so a reader that went away (``skbucket fit ... 2>&1 | head -1``, a logger
    that died) or a full disk ends them, not the command, its work or its exit status. Later
    writes are dropped; what the stream still buffers is drained into the null device (it
    would fail again at exit, with exit status 120), and :meth:`restore` gives the stream its
    own descriptor back (a program that called :func:`main` keeps its standard error)."""

    def __init__(self, stream):
        self._stream = stream
        self.gone = False
        self._saved = None  # a copy of the stream's descriptor while it points at devnull

    def write(self, text):
        if not self.gone:
            try:
                return self._stream.write(text)
            except OSError:  # EPIPE, ENOSPC, EIO: no one reads the diagnostics any more
                self._go()
        return len(text)

    def flush(self):
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self._go()

    def _go(self):
        self.gone = True
        with contextlib.suppress(AttributeError, ValueError, OSError):  # no descriptor
            fd = self._stream.fileno()
            self._saved = os.dup(fd)
            _to_null_device(fd)
            self._stream.flush()  # what it buffers goes to the null device, not at exit

    def restore(self):
        if self._saved is None:
            return
        with contextlib.suppress(AttributeError, ValueError, OSError):
            self._stream.flush()
            os.dup2(self._saved, self._stream.fileno())
        os.close(self._saved)
        self._saved = None

    def __getattr__(self, name):  # isatty, fileno, encoding, errors, ...: the stream's
        return getattr(self._stream, name)


@contextlib.contextmanager
def _diagnostics():
    """``sys.stderr`` as :class:`_Diagnostics` for the ``with`` block (none when closed)."""
    stream = sys.stderr
    if stream is None or isinstance(stream, _Diagnostics):
        yield
        return
    guard = sys.stderr = _Diagnostics(stream)
    try:
        yield
    finally:
        guard.restore()
        if sys.stderr is guard:
            sys.stderr = stream


def main(argv=None) -> int:
    """Run the ``skbucket`` command; returns the exit status of the command that ran.

    Usage errors (exit status 2), ``--help`` and ``--version`` (0) are argparse's: they raise
    :class:`SystemExit` with that status instead of returning.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the command's name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 on an error the command reports in one line, 130
        when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
    """
    # standard output in a code page without "²" or a column's letters (a redirect on
    # Windows: cp1252, cp932, ...): escaped, not a UnicodeEncodeError after all the work
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        with contextlib.suppress(Exception):
            sys.stdout.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    _expand_home(args)
    with _diagnostics():
        return _run(args)


#: the options (and arguments) that name a file or folder of the user's
_PATH_OPTIONS = ("data", "model", "config", "output", "baseline", "out")


def _expand_home(args) -> None:
    """``~`` at the start of a path given on the command line as the home folder, as in the
    config's paths: the shell leaves it as written after an option's ``=`` or in quotes
    (``--model=~/m.joblib``), which wrote the file into a new folder named ``~`` of the
    working directory while the messages named ``~/m.joblib``."""
    for name in _PATH_OPTIONS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value.startswith("~"):
            setattr(args, name, os.path.expanduser(value))


def _run(args) -> int:
    """:func:`main` for parsed ``args``."""
    from ._clock import check_numpy_can_read

    try:  # before scikit-learn's import, where numpy's f2py reads it with a traceback
        check_numpy_can_read()
    except ValueError as exc:
        print(f"skbucket {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    from sklearn.exceptions import NotFittedError

    from .cache import CacheError
    from .classification import TrainingInterruptedWarning

    data = getattr(args, "data", None)
    excel = data is not None and TABLE_FORMATS.get(_suffix(Path(data))) == "excel"
    _SHEET_DATA[0] = str(data) if excel else None
    try:
        with warnings.catch_warnings(), _sigterm_as_interrupt():
            # even with --quiet: no step message
            warnings.showwarning = functools.partial(_one_line_warning, command=args.command)
            # a fine-tuning stopped with Ctrl-C keeps its weights in the library; a command
            # stopped with Ctrl-C stops, and writes no model trained for part of its epochs
            warnings.simplefilter("error", TrainingInterruptedWarning)
            with _progress_lines(args), _cache_remedy_in_flags(args.command):
                status = args.func(args)
        if sys.stdout is not None:  # None: closed (>&-), where print writes nothing
            with _writing_stdout():  # a reader that went away shows here, not at exit
                sys.stdout.flush()
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_ERROR
    except _Terminated:
        print(f"skbucket {args.command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except (KeyboardInterrupt, TrainingInterruptedWarning):
        print(f"skbucket {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Warning as exc:  # made an error by the user's filters (PYTHONWARNINGS=error, -W)
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"skbucket {args.command}: error: {type(exc).__name__}: {_with_sheet_rows(message)} "
            "(a warning, made an error by Python's warning filters: PYTHONWARNINGS or -W)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except (ValueError, OSError, RuntimeError, KeyError, ImportError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        in_flags = _day_month_in_flags(exc, args.command)  # the estimators' words: Python's
        message = in_flags or message
        data = str(getattr(args, "data", ""))
        if (
            getattr(args, "data_read", False)
            and isinstance(exc, ValueError | KeyError)
            and not isinstance(exc, NotFittedError | CacheError)  # the model's, not the data's
            and data not in message
        ):  # a column or a value of DATA the model cannot use: which file
            if getattr(exc, "refit_dayfirst", None) is not None:
                # the misread dates it names are the training file's, not DATA's
                message += (
                    f" (the rows named are in {data}; the dates seen at fit, in the training data)"
                )
            else:
                message += f" (in {data})"
        if isinstance(exc, NotFittedError) and args.command in ("predict", "evaluate", "report"):
            # MODEL saved before its fit: the model file's fault, named
            message = (
                f"{args.model}: the model file holds an estimator that is not fitted: {message}"
            )
        if (
            type(exc).__name__ == "DeviceNotAvailableError"
            and args.command in ("fit", "predict", "evaluate", "report")
            and args.device is None
        ):  # a model fitted on a GPU (or a config asking for one), used where there is none
            message += " (here: --device auto or --device cpu)"
        if type(exc).__name__ == "ModelNotAvailableError" and message.startswith(
            "Blip2Captioner: "
        ):  # a caption model that is no BLIP-2 one, or that cannot be loaded here
            # the option overrides the config's caption_model: the config key alone is no fix
            if getattr(args, "caption_model", None) is not None:
                message += " (here: --caption-model none, or a BLIP-2 checkpoint's folder)"
            elif args.command == "fit" and args.config is not None:
                message += (
                    ' (here: --caption-model none, or "caption_model": null in the --config file)'
                )
            elif args.command == "fit":  # the default captioner: BLIP-2 from the hub
                message += " (here: --caption-model none fits without captions)"
        if isinstance(exc, ImportError) and "pip install" not in message:
            if (getattr(exc, "name", None) or "").partition(".")[0] == "skbucket":
                # skbucket's own files disagree (a half-done upgrade): no extra helps
                message += (
                    " (skbucket's own files are of different versions: reinstall it, "
                    "pip install --force-reinstall skbucket)"
                )
            elif _is_core_dependency(getattr(exc, "name", None)):
                assert exc.name is not None  # a module: _is_core_dependency(None) is False
                # one skbucket cannot run without (the seed's regressors): no extra adds it
                message += (
                    f" ({exc.name.partition('.')[0]} is one of skbucket's own dependencies: "
                    "reinstall it, pip install skbucket)"
                )
            else:
                message += " (pip install 'skbucket[all]' installs every optional part)"
        print(f"skbucket {args.command}: error: {_with_sheet_rows(message)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        _SHEET_DATA[0] = None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
