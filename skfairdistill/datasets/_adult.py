"""The Adult census-income data, bundled so that it loads offline."""

from importlib import resources

import pandas as pd

from .._checks import check_bool, check_names

SENSITIVE_COLUMNS = ("sex", "race")


def load_adult(*, sensitive="sex", dropna=True, include_sensitive=False):
    """Load the UCI Adult data set (census income) from the copy shipped with the package.

    48,842 people (45,222 without missing values) from the 1994 US census; the task
    is whether income exceeds 50K a year. Source: UCI Machine Learning Repository,
    Becker & Kohavi (1996), CC BY 4.0 — see ``datasets/data/ADULT.md``.

    Parameters
    ----------
    sensitive : {"sex", "race"} or list of them, default="sex"
        The sensitive column(s) returned as ``A``. A list returns a DataFrame
        (intersectional groups when passed as ``sensitive_features``).
    dropna : bool, default=True
        Drop the rows with a missing value (45,222 rows remain).
    include_sensitive : bool, default=False
        Keep the sensitive column(s) among the features ``X`` as well.

    Returns
    -------
    X : pandas.DataFrame
        The features: numeric columns and categorical (string) columns.
    y : pandas.Series of int
        1 when income > 50K, else 0.
    A : pandas.Series or pandas.DataFrame
        The sensitive column(s).

    Examples
    --------
    >>> from skfairdistill.datasets import load_adult
    >>> X, y, A = load_adult(sensitive="sex")
    >>> X.shape, round(float(y.mean()), 3), A.value_counts().to_dict()
    ((45222, 13), 0.248, {'Male': 30527, 'Female': 14695})
    """
    names = check_names("sensitive", sensitive, SENSITIVE_COLUMNS)
    check_bool("dropna", dropna)
    check_bool("include_sensitive", include_sensitive)
    source = resources.files(__package__).joinpath("data", "adult.csv.gz")
    with source.open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip")
    if dropna:
        frame = frame.dropna().reset_index(drop=True)
    y = (frame.pop("income") == ">50K").astype(int).rename("income")
    A = frame[names[0]] if isinstance(sensitive, str) else frame[names]
    X = frame if include_sensitive else frame.drop(columns=names)
    return X, y, A.copy()
