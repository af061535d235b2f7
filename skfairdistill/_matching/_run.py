"""The matching package's one entry point: a resolved FitConfig in, a MatchingResult out."""

from .cafe import match_features
from .distribution import match_distributions
from .gradient import match_gradients
from .idc import match_multiformation
from .model import match_model
from .multiformation import encode


def run_matching(real, cells, X_init, y_syn, config, generator):
    """Optimise ``X_init`` with the loop ``config.matching`` names.

    Parameters
    ----------
    real : RealRows
    cells : CellSampler
    X_init : Tensor of shape (n_syn, *input_shape)
        Standardised starting rows, on the device. ``matching="idc"``: factor²
        starting images per stored image, in consecutive groups, which are tiled
        into the stored images.
    y_syn : LongTensor of shape (n_syn,)
    config : FitConfig
        The fit's resolved settings (:mod:`skfairdistill._config.fit_config`).
    generator : torch.Generator
        The only source of randomness.

    Returns
    -------
    MatchingResult
    """
    if config.matching == "distribution":
        loop, own = match_distributions, dict(
            distance=config.distance, cloud_target=config.cloud_target,
            warm_start_epochs=config.warm_start_epochs, step_schedule=config.step_schedule,
            group_trust=config.group_trust, network_pool=config.network_pool,
        )
    elif config.matching == "gradient":
        loop, own = match_gradients, dict(
            outer_loops=config.outer_loops, inner_steps=config.inner_steps,
            network_learning_rate=config.network_learning_rate,
        )
    elif config.matching == "idc":
        factor = config.formation_factor
        X_init = encode(X_init, factor)
        loop, own = match_multiformation, dict(
            outer_loops=config.outer_loops, inner_steps=config.inner_steps, factor=factor,
            network_learning_rate=config.network_learning_rate,
        )
    elif config.matching == "cafe":
        loop, own = match_features, dict(
            outer_loops=config.outer_loops, inner_steps=config.inner_steps,
            network_learning_rate=config.network_learning_rate,
            discrimination_weight=config.discrimination_weight,
            layer_weights=config.layer_weights, group_trust=config.group_trust,
        )
    elif config.matching == "model":  # a linear model in the loop: no network, no alignment
        return match_model(
            real, cells, X_init, y_syn, n_iter=config.n_iter,
            learning_rate=config.learning_rate, batch_size=config.batch_size,
            generator=generator, model_space=real.original_scale(), verbose=config.verbose,
            **config.model_params)
    else:
        raise ValueError(f"no matching loop for matching={config.matching!r}")
    return loop(
        real, cells, X_init, y_syn,
        alignment=config.alignment, n_iter=config.n_iter, learning_rate=config.learning_rate,
        batch_size=config.batch_size, network_factory=config.network_factory,
        augment=config.augment, generator=generator, verbose=config.verbose, **own,
    )
