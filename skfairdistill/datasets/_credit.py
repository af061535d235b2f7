"""The German credit data, bundled so that it loads offline."""

from importlib import resources

import pandas as pd

from .._checks import check_bool, check_names

# sensitive name -> the column of the file it is read from (left out of X with it)
SENSITIVE_SOURCES = {"sex": "personal_status", "age": "age"}


def load_german_credit(*, sensitive="sex", include_sensitive=False):
    """Load the UCI German credit data from the copy shipped with the package.

    1,000 loan applicants of a German bank, 700 of them good credit risks; the task is
    whether an applicant is a good risk. Source: UCI Machine Learning Repository,
    Hofmann (1994), CC BY 4.0; the codes are decoded to their meanings, see
    ``datasets/data/CREDIT.md``.

    Parameters
    ----------
    sensitive : {"sex", "age"} or list of them, default="sex"
        The sensitive attribute(s) returned as ``A``. ``"sex"`` is read from the
        ``personal_status`` column (which codes sex and marital status together);
        ``"age"`` is the age group, ``"under 25"`` or ``"25 and over"``. A list returns
        a DataFrame (intersectional groups when passed as ``sensitive_features``).
    include_sensitive : bool, default=False
        Keep the column(s) the sensitive attributes are read from (``personal_status``,
        ``age``) among the features ``X``. By default they are left out, since each
        gives its attribute away.

    Returns
    -------
    X : pandas.DataFrame
        The features: numeric columns and categorical (string) columns.
    y : pandas.Series of int
        1 for a good credit risk, else 0.
    A : pandas.Series or pandas.DataFrame
        The sensitive attribute(s).

    Examples
    --------
    >>> from skfairdistill.datasets import load_german_credit
    >>> X, y, A = load_german_credit(sensitive="sex")
    >>> X.shape, round(float(y.mean()), 3), A.value_counts().to_dict()
    ((1000, 19), 0.7, {'male': 690, 'female': 310})
    """
    names = check_names("sensitive", sensitive, tuple(SENSITIVE_SOURCES))
    check_bool("include_sensitive", include_sensitive)
    source = resources.files(__package__).joinpath("data", "german_credit.csv.gz")
    with source.open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip")
    y = (frame.pop("credit") == "good").astype(int).rename("credit")
    attributes = pd.DataFrame({
        "sex": frame["personal_status"].str.split(",").str[0],
        "age": frame["age"].lt(25).map({True: "under 25", False: "25 and over"})})
    A = attributes[names[0]] if isinstance(sensitive, str) else attributes[names]
    X = frame if include_sensitive else frame.drop(columns=[SENSITIVE_SOURCES[n] for n in names])
    return X, y, A.copy()
