"""Data sets that work offline: the bundled Adult data, biased generators, the papers' images.

The bundled Adult census data, biased synthetic tables and coloured digits, and the
papers' image constructions built from the user's local copies of MNIST,
Fashion-MNIST and CIFAR-10."""

from ._adult import load_adult
from ._cifar import load_cifar10s
from ._digits import make_colored_digits
from ._mnist import load_colored_fashion_mnist, load_colored_mnist
from ._synthetic import make_biased_classification

__all__ = [
    "load_adult",
    "load_cifar10s",
    "load_colored_fashion_mnist",
    "load_colored_mnist",
    "make_biased_classification",
    "make_colored_digits",
]
