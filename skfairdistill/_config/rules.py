"""Every rule that ties two parameters (or a parameter and the data) together, in one place.

Each rule raises one error that names both sides and what to do. The values on their
own are checked in :mod:`skfairdistill._config.parameters`.
"""


def check_combinations(settings):
    """The rules between parameters; ``settings`` from :func:`~.parameters.check_params`."""
    for name, loops in sorted(settings.given.items()):
        if settings.matching not in loops:
            raise ValueError(
                f"matching_params[{name!r}] applies to matching in {list(loops)}; got "
                f"matching={settings.matching!r}. Remove the key or change matching.")
    if settings.preset == "paper" and settings.matching in ("kmeans", "model"):
        raise ValueError(
            "preset='paper' reproduces the papers' distribution and gradient matching; "
            f"matching={settings.matching!r} is not one of them. Use preset='library' with it.")
    if settings.barycenter != "mean" and settings.alignment != "barycenter":
        raise ValueError(
            f"matching_params['barycenter']={settings.barycenter!r} needs "
            "alignment='barycenter' (the distribution-level barycenter replaces COBRA's mean "
            f"target); got alignment={settings.alignment!r}.")
    if settings.network_pool is not None and settings.barycenter != "mean":
        raise ValueError(
            f"matching_params['network_pool']={settings.network_pool} needs COBRA's mean "
            f"target; matching_params['barycenter']={settings.barycenter!r} matches the "
            "groups' embedding clouds of every iteration's batch. Leave one of them out.")
    if settings.stratify_groups:
        if settings.matching not in ("distribution", "kmeans"):
            raise ValueError(
                "stratify_groups=True needs matching='distribution' or 'kmeans' (every group "
                f"is distilled on its own); got matching={settings.matching!r}.")
        if settings.barycenter != "mean" or settings.preset != "library":
            raise ValueError(
                "stratify_groups=True needs matching_params['barycenter']='mean' and "
                "preset='library' (each group is matched alone); got "
                f"barycenter={settings.barycenter!r}, preset={settings.preset!r}.")


def check_network_pool(settings, warm_start_epochs):
    """A pool of networks drawn once cannot be warm-started (``warm_start_epochs`` resolved)."""
    if settings.network_pool is not None and warm_start_epochs > 0:
        raise ValueError(
            f"matching_params['network_pool']={settings.network_pool} reuses networks drawn "
            f"once; warm_start_epochs={warm_start_epochs} trains every drawn network on the "
            "current rows. Set matching_params['warm_start_epochs']=0 (or use "
            "preset='library'), or leave network_pool out.")


def check_images(settings, image_shape):
    """The rules between the parameters and whether ``X`` holds images (``image_shape``)."""
    if image_shape is not None:
        if settings.matching == "model":
            raise ValueError(
                "matching='model' fits a logistic regression on table rows; X holds images "
                f"of shape {image_shape}. Use matching='distribution' for images.")
        return
    if settings.matching == "idc":
        raise ValueError(
            "matching='idc' needs images (it decodes each synthetic image into four "
            "smaller ones): pass X of shape (n, C, H, W) or flat rows with "
            "image_shape=(C, H, W), or use matching='gradient' for tables.")
    if isinstance(settings.embedding, str) and settings.embedding == "convnet":
        raise ValueError(
            "matching_params['embedding']='convnet' needs images: pass X of shape "
            "(n, C, H, W) or flat rows with image_shape=(C, H, W).")
    if settings.augmentation not in ("auto", None, "none", ""):
        raise ValueError(
            f"matching_params['augmentation']={settings.augmentation!r} needs images: pass X "
            "of shape (n, C, H, W) or flat rows with image_shape=(C, H, W), or leave it out.")
