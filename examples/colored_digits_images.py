"""
Images: distil coloured digits through the ConvNet and audit on real test images
================================================================================

Coloured digits (:func:`skfairdistill.datasets.make_colored_digits`) are 8x8 RGB
images whose colour is the sensitive group; in training each digit is drawn in
"its" colour 90 % of the time, in the test images the colour is uniform. A model
trained on a plain distillation learns the colour; COBRA's cross-group barycenter
target keeps the synthetic images fair.

:class:`~skfairdistill.FairDistiller` takes the images as they are, ``(n, 3, 8, 8)``,
and returns synthetic images of the same shape. It embeds them with a ConvNet,
here a narrower one (32 channels instead of 128; like the default, without the
instance norm that hides the colour of 8x8 images, see the method page), and augments real and synthetic images with the same random
transform. The audit uses :func:`skfairdistill.metrics.fairness_report` on the real
test images.

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import functools
import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_colored_digits
from skfairdistill.metrics import fairness_report
from skfairdistill.networks import make_embedding

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"

images, digit, colour = make_colored_digits(mode="foreground", random_state=0)
test_images, test_digit, test_colour = make_colored_digits(
    mode="foreground", split="test", random_state=0
)
print(f"training images: {images.shape}, test images: {test_images.shape}")

embedding = functools.partial(
    make_embedding, "convnet", channels=4 if QUICK else 32, norm="none"
)
settings = dict(n_per_class=10, n_iter=3 if QUICK else 300, batch_size=64,
                matching_params={"embedding": embedding}, random_state=0)


def flat_model():
    """A logistic regression on the flattened pixels."""
    flatten = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    return make_pipeline(flatten, LogisticRegression(max_iter=2000))


models = {}
for name, alignment in [("vanilla", "none"), ("COBRA", "barycenter")]:
    distiller = FairDistiller(alignment=alignment, **settings)
    X_syn, y_syn = distiller.fit_resample(images, digit, sensitive_features=colour)
    print(f"{name}: synthetic images {X_syn.shape}")
    models[name] = flat_model().fit(X_syn, y_syn)

report = fairness_report(models, test_images, test_digit, sensitive_features=test_colour)
print(report[["accuracy", "deo_max", "deo_mean", "worst_group_accuracy"]].round(3))
assert np.all(np.isfinite(report["accuracy"]))
