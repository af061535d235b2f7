"""Data sets that work offline: the bundled Adult census data."""

from ._adult import load_adult

__all__ = ["load_adult"]
