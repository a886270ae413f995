"""Other DataFrame libraries in, pandas inside.

skbucket's transformers find their columns by name and work on pandas. A polars DataFrame
(or a pyarrow Table) given to them is converted with its own ``to_pandas()`` (pyarrow must be
installed for polars' conversion); every other input is left to the estimator's own checks.
"""

from __future__ import annotations

_CONVERTED = ("polars", "pyarrow")


def as_pandas(X):
    """``X`` as a pandas DataFrame when it is a polars DataFrame or a pyarrow Table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skbucket._frames import as_pandas
    >>> frame = pd.DataFrame({"a": [1]})
    >>> as_pandas(frame) is frame
    True
    >>> import pyarrow as pa
    >>> as_pandas(pa.table({"a": [1, 2]}))["a"].tolist()
    [1, 2]
    """
    library = type(X).__module__.partition(".")[0]
    if library in _CONVERTED and hasattr(X, "columns") and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X
