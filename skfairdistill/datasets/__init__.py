"""Data sets that work offline: the bundled tables, biased generators, the papers' images.

The bundled Adult census and German credit data, biased synthetic tables and coloured
digits, and the papers' image constructions built from the user's local copies of MNIST,
Fashion-MNIST and CIFAR-10."""

from ._adult import load_adult
from ._cifar import load_cifar10s
from ._credit import load_german_credit
from ._digits import make_colored_digits
from ._mnist import load_colored_fashion_mnist, load_colored_mnist
from ._synthetic import make_biased_classification

__all__ = [
    "load_adult",
    "load_cifar10s",
    "load_colored_fashion_mnist",
    "load_colored_mnist",
    "load_german_credit",
    "make_biased_classification",
    "make_colored_digits",
]
