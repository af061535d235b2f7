"""FairDistiller, the door: its parameters, fit all or nothing, and the caller's containers."""

import numpy as np
import torch
from imblearn.base import BaseSampler

from .._config.fit_config import (resolve_budget, resolve_config, resolve_image_shape,
                                  resolve_readable_rows)
from .._config.parameters import check_params
from .._data.cells import CellSampler
from .._data.containers import ContainerRoundTrip
from .._data.fitted import fitted_rows
from .._data.groups import encode_groups
from .._data.rows import RealRows
from .._data.validation import (check_classification_target, flatten_images, validate_X_y,
                                warn_about_absent_groups)
from .._matching import run_matching
from .._matching.initial import initial_rows
from .._matching.kmeans import kmeans_result
from .._runtime.device import make_generators, resolve_device
from .._runtime.threads import FitThreads
from .interrupted import stopped_fit
from .messages import (missing_attribute, missing_groups_error, needs_groups,
                       one_warning_for_small_classes)
from .strata import distil_stratified
from .weights import (check_sample_weight, refuse_unweighted_targets,
                      refuse_weightless_classes)


class FairDistiller(BaseSampler):
    r"""Distil a small synthetic training set that is as fair as the full data.

    ``fit_resample`` returns ``n_per_class`` synthetic rows per class, optimised
    by distribution matching so that models trained on them behave like models
    trained on the full data — for every group of the sensitive features, not
    only for the majority. The default target is the cross-group barycenter of
    COBRA (Moslemi et al., "Fair Dataset Distillation via Cross-Group Barycenter
    Alignment", arXiv 2605.00185, ICML 2026).

    Parameters
    ----------
    n_per_class : int or dict, default=10
        Synthetic rows (``matching="idc"``: stored images) per class: one number for
        every class, or a dict ``{class_label: n}`` covering exactly the classes of ``y``.
    matching : {"distribution", "gradient", "kmeans", "idc", "cafe", "model"}, default="distribution"
        How the synthetic rows are fitted: ``"distribution"`` (DM, Zhao & Bilen,
        WACV 2023; cheap), ``"gradient"`` (DC, Zhao et al., ICLR 2021; far slower per
        iteration), ``"kmeans"`` (group-balanced k-means prototypes, no
        optimisation loop; clusters on the scale of ``X`` as given), ``"idc"`` (IDC,
        Kim et al., ICML 2022; images only: each stored image decodes into four, so
        ``fit_resample`` returns ``4 * n_per_class`` images per class), ``"cafe"``
        (CAFE, Wang et al., CVPR 2022) or ``"model"`` (tables: the rows are fitted so
        that a logistic regression trained on them is accurate and fair on real rows).
        Details: ``docs/method.md``.
    alignment : {"barycenter", "groupwise", "none"}, default="barycenter"
        The matching target of each class. ``"barycenter"`` is COBRA's
        uniform-weight mean of the groups' mean embeddings; ``"groupwise"`` is
        FairDD's sum of distances to every group's mean (Zhou et al., arXiv
        2411.19623); ``"none"`` is plain (vanilla) distillation towards the
        class mean, which leans towards the majority group.
    stratify_groups : bool, default=False
        Give every group of a class synthetic rows of its own: as many per group
        (``"barycenter"``, ``"groupwise"``: together they match the barycenter) or by
        group share (``"none"``), every group distilled on its own, on its own
        standardisation (``matching="distribution"`` or ``"kmeans"``). A model trained
        on the set then behaves like one trained on the target distribution, also under
        ``DistilledClassifier(class_prior="sqrt")``; the groups land in
        `groups_distilled_`. Details: ``docs/guides.md``.
    preset : {"library", "paper"}, default="library"
        What every ``"auto"`` value resolves to: ``"library"``, the defaults tuned on
        this project's benchmark, or ``"paper"``, the hyper-parameters of the authors'
        public code (mhmoslemi/COBRA). Explicit values always win.
    n_iter : int or "auto", default="auto"
        Number of matching iterations. ``"auto"``: 1000 (library; CAFE 200, model
        matching 600); 2600 for DM, 1000 for DC, 2000 for CAFE (paper).
    learning_rate : float or "auto", default="auto"
        Step size of the update of the synthetic rows (in standardised feature space).
        ``"auto"`` (library): ``0.1 * n_c / 10`` for a table class of ``n_c`` rows in
        distribution matching, 10 for images through a ConvNet, else 0.1; (paper) the
        authors' step.
    batch_size : int or "auto", default="auto"
        Real rows drawn per (class, group) cell and iteration; a smaller cell gives all
        its rows. ``"auto"``: 128 (library); the authors' batch per class shared by the
        class's groups (paper).
    init : {"real", "noise", "kmeans"}, default="real"
        Start from randomly chosen real rows of each class, from Gaussian noise
        (in standardised space), or from the prototypes of ``matching="kmeans"``
        (with the same alignment), which the matching loop then refines.
    image_shape : tuple of int or None, default=None
        ``(C, H, W)`` (or ``(H, W)``) when the rows of a 2-D ``X`` are flattened
        images; ``X`` of shape ``(n, C, H, W)`` or ``(n, H, W)`` needs none.
    matching_params : dict or None, default=None
        The knobs of one matching method, in the manner of scikit-learn's
        ``metric_params``; a key that does not apply to ``matching`` is refused.
        Distribution matching: ``"distance"`` (``"auto"``, ``"l1"``,
        ``"squared_l2"``; ``"auto"`` is each method's published distance),
        ``"warm_start_epochs"`` (COBRA's warm start), ``"networks_per_step"``,
        ``"network_pool"``, ``"step_schedule"`` (``"constant"``, ``"cosine"``).
        Every network-based loop: ``"embedding"`` (``"auto"``, ``"mlp"``, ``"convnet"``
        or a factory ``factory(input_shape, generator)``), ``"embedding_width"``,
        ``"embedding_layers"``, ``"augmentation"`` (images). Gradient matching, IDC,
        CAFE: ``"outer_loops"``, ``"inner_steps"``, ``"network_learning_rate"``.
        Model matching: ``"group_balance"``, ``"C"``, ``"fairness_weight"``,
        ``"newton_steps"``, ``"kernel"`` (``"linear"``, ``"relu"``). Every matching:
        ``"readable_rows"`` (``"auto"``: images clipped to their channels' range, table rows
        as optimised; True: clipped to the range of ``X``, one-hot blocks decoded; False;
        or a list of one-hot blocks). Experimental
        (:mod:`skfairdistill.experimental`): ``"barycenter"`` (``"mean"``,
        ``"wasserstein"``, ``"sliced"``) and its transport settings. Every knob, its
        default and its range: ``docs/method.md``, "Parameters in depth".
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
        Where the optimisation runs; ``"auto"`` uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the local generators of the run; the same seed on the CPU gives
        bit-identical output. Global random state is never touched.
    verbose : int, default=0
        ``>= 1`` shows a progress bar with the current loss.
    n_threads : "auto", int or None, default="auto"
        torch intra-op (and BLAS/OpenMP) threads during the fit; the caller's
        settings are restored afterwards. ``"auto"``: one thread for tables, the
        usable cores (at most torch's setting) for images, on the CPU; an int ``>= 1``
        is applied as given; ``None`` leaves torch's setting alone.
        Details: ``docs/method.md``, "Parameters in depth".

    Attributes
    ----------
    X_distilled_ : ndarray of shape (n_synthetic, `n_features_in_`) or (n_synthetic, C, H, W)
        The synthetic rows as optimised (values may leave the range of ``X``, one-hot
        columns hold fractions; ``fit_resample`` can return them readable, see
        ``matching_params["readable_rows"]``), on the scale of ``X`` and in its form:
        float32 when ``X`` is float32 or float16, float64 otherwise.
    y_distilled_ : ndarray of shape (n_synthetic,)
        Their class labels (taken from ``classes_``).
    X_stored_ : ndarray
        The stored images ``matching="idc"`` decodes into ``X_distilled_`` (else the same array).
    groups_distilled_ : ndarray of shape (n_synthetic,) or None
        The group (from `groups_`) of every synthetic row with ``stratify_groups=True``
        and sensitive features, else None: fairlearn's mitigators take it as
        ``sensitive_features``.
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    groups_ : ndarray of shape (n_groups,) or None
        Group labels of the sensitive features (tuples for several columns);
        None when no sensitive features were given.
    cell_counts_ : ndarray of shape (n_classes, n_groups)
        Real rows per (class, group) cell (with ``sample_weight``: of positive weight).
    sampling_strategy_ : dict
        Resolved budget ``{class_label: n_synthetic_rows}``.
    loss_history_ : ndarray of shape (`n_iter_`,) or (1,)
        Matching loss at every iteration (``stratify_groups=True``: summed over the
        groups). With ``matching="kmeans"``, one value:
        the weighted k-means inertia (within-cluster sum of squares, each class's
        weights summing to 1) summed over classes.
    n_iter_ : int
        Iterations run; with ``matching="kmeans"``, the Lloyd iterations of the
        longest class.
    fairness_weight_ : float or None
        ``matching="model"``: the weight of the fairness term the rows were optimised
        with (with ``"auto"``, the weight chosen on real rows); None for the other loops.
    device_ : torch.device
        The resolved device.
    image_shape_ : tuple of int or None
        ``(C, H, W)`` of the images, None for tables.
    n_features_in_ : int
        Number of features seen in ``fit`` (values per image for images).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    imblearn.under_sampling.ClusterCentroids : Prototype generation by k-means,
        a budget-matched baseline.

    Notes
    -----
    Let :math:`\phi` be an embedding network, :math:`\mu_{a|y}` the mean embedding
    of the real rows of group :math:`a` in class :math:`y`, :math:`\pi_{a|y}` the
    share of group :math:`a` in class :math:`y`, :math:`A_y` the groups present in
    class :math:`y`, and :math:`s_y` the mean embedding of the synthetic rows of
    class :math:`y`. Per iteration a fresh :math:`\phi` is drawn and one gradient
    step is taken on the synthetic rows for the loss

    - vanilla (``"none"``): :math:`\sum_y D(\sum_a \pi_{a|y}\mu_{a|y},\ s_y)`;
    - FairDD (``"groupwise"``): :math:`\sum_y \sum_{a \in A_y} D(\mu_{a|y},\ s_y)`;
    - COBRA (``"barycenter"``): :math:`\sum_y D(b_y, s_y)` with
      :math:`b_y = |A_y|^{-1} \sum_{a \in A_y} \mu_{a|y}`.

    The vanilla residual of group :math:`a` is bounded by
    :math:`\sum_{a' \neq a} \pi_{a'|y} \lVert \mu_{a|y} - \mu_{a'|y} \rVert`
    (group imbalance times group separation); the barycenter removes the
    dependence on :math:`\pi`. With squared L2, FairDD and COBRA share the same
    minimiser :math:`b_y`; with L1 they differ (FairDD's minimiser is the
    coordinate-wise median of the group means).

    Real mini-batches are drawn per (class, group) cell, so small groups are in every
    iteration. Features are standardised internally (constant columns keep their value).
    With ``sample_weight``, a row of weight :math:`w` counts :math:`w` times in its cell
    (:math:`\mu_{a|y}` and :math:`\pi_{a|y}` are weighted): a cell is drawn from in
    proportion to its rows' weights, or averaged with them when it is taken whole; a row
    of weight 0 never counts. k-means (``matching="kmeans"``, ``init="kmeans"``), the
    starting rows of ``init="real"`` and the log-loss of ``matching="model"`` weigh the
    rows alike; the standardisation does not, and the experimental sliced barycenter
    refuses them (:ref:`guides#row-weights`).
    A fit is all or nothing: if it raises, the estimator keeps its state before the
    call. Ctrl-C stops it too, with :class:`~skfairdistill.DistillationInterrupted`,
    which carries the synthetic set reached for a caller who catches it.
    How the methods compare on held-out data, and where each loses: ``docs/benchmarks.md``.

    A fit never returns NaN or infinite rows: a diverging loss stops it with a
    ``ValueError`` that says to lower ``learning_rate``; sizes that cannot fit in
    memory are refused before anything is allocated. Large data (memory maps, Dask),
    threads and k-means: ``docs/method.md``, "Parameters in depth".

    Examples
    --------
    >>> import numpy as np
    >>> from skfairdistill import FairDistiller
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> group = rng.choice(["a", "b"], size=300, p=[0.8, 0.2])
    >>> distiller = FairDistiller(n_per_class=5, n_iter=50, random_state=0)
    >>> X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=group)
    >>> X_syn.shape, np.bincount(y_syn)
    ((10, 4), array([5, 5]))
    >>> distiller.groups_
    array(['a', 'b'], dtype=object)

    Images go in as ``(n, C, H, W)`` and come out in the same form:

    >>> images = rng.random((60, 3, 8, 8), dtype=np.float32)
    >>> digit = rng.integers(0, 2, size=60)
    >>> colour = rng.choice(["red", "green"], size=60)
    >>> distiller = FairDistiller(n_per_class=2, n_iter=5, random_state=0)
    >>> X_syn, y_syn = distiller.fit_resample(images, digit, sensitive_features=colour)
    >>> X_syn.shape, distiller.image_shape_
    ((4, 3, 8, 8), (3, 8, 8))
    """

    # imblearn routes fit's metadata to fit and fit_resample: users set only the latter's
    __metadata_request__fit = {"sensitive_features": True, "sample_weight": True}

    def __init__(
        self,
        *,
        n_per_class=10,
        matching="distribution",
        alignment="barycenter",
        stratify_groups=False,
        preset="library",
        n_iter="auto",
        learning_rate="auto",
        batch_size="auto",
        init="real",
        image_shape=None,
        matching_params=None,
        device="auto",
        random_state=None,
        verbose=0,
        n_threads="auto",
    ):
        self.n_per_class = n_per_class
        self.matching = matching
        self.alignment = alignment
        self.stratify_groups = stratify_groups
        self.preset = preset
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.init = init
        self.image_shape = image_shape
        self.matching_params = matching_params
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads

    def fit(self, X, y, *, sensitive_features=None, sample_weight=None):
        """Distil ``X``, ``y``; the synthetic set is stored in ``X_distilled_``, ``y_distilled_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, C, H, W)
            Numeric training rows (finite; categorical columns encoded first), or images
            (channels first; also ``(n_samples, H, W)``). A memory-mapped or Dask array,
            or a SciPy sparse CSR or CSC matrix, is read in blocks, never loaded whole.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
                default=None
            Group membership of every row; several columns are combined into
            intersectional groups. Required unless ``alignment="none"`` (vanilla
            distillation) and ``stratify_groups=False``: a ValueError says how to pass
            it, in a pipeline too.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every row: a row of weight ``w`` counts ``w`` times
            in its (class, group) cell (see Notes); 0 leaves the row out. None weighs
            every row alike.

        Returns
        -------
        self : FairDistiller
        """
        self._fit(X, y, sensitive_features, "fit", sample_weight)
        return self

    def fit_resample(self, X, y, *, sensitive_features=None, sample_weight=None):
        """Distil ``X``, ``y`` and return the synthetic set in the caller's containers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, C, H, W)
            Numeric training rows (finite): array, DataFrame or list, or a memory-mapped
            or Dask array or SciPy sparse matrix, read in blocks (see Notes); or images.
        y : array-like of shape (n_samples,)
            Class labels (array, Series, list, or one-vs-all encoded).
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
                default=None
            Group membership of every row, as for :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every row, as for :meth:`fit`. The synthetic rows
            carry no weights of their own.

        Returns
        -------
        X_syn : array-like of shape (n_synthetic, n_features) or (n_synthetic, C, H, W)
            Synthetic rows in the container of ``X`` (DataFrame in, DataFrame out;
            images in, images of the same shape out); images within their channels'
            range, table rows as optimised unless ``matching_params["readable_rows"]``.
        y_syn : array-like of shape (n_synthetic,)
            Their labels in the container of ``y``.

        Raises
        ------
        DistillationInterrupted
            On Ctrl-C during the optimisation, with the estimator left as it was; its
            ``X_partial`` and ``y_partial`` hold the set reached, in these containers.
        """
        return self._fit(X, y, sensitive_features, "fit_resample", sample_weight)

    def _fit(self, X, y, sensitive_features, method, sample_weight=None):
        """Validate, encode, distil, set the fitted attributes; the set in the caller's containers.

        All or nothing: when anything raises (a bad input, Ctrl-C: DistillationInterrupted
        with the rows reached), the estimator gets back its state before the call (else
        ``validate_data``'s fresh ``n_features_in_`` would make it look fitted).
        """
        containers = ContainerRoundTrip(X, y)
        saved = dict(vars(self))
        try:
            settings = check_params(self.get_params(deep=False))
            X, row_shape = flatten_images(X)
            X, y = validate_X_y(self, X, y)
            weights = check_sample_weight(sample_weight, len(y))
            refuse_unweighted_targets(weights, settings)
            y, one_vs_all = check_classification_target(y)
            # how the rows are made readable, found (declared blocks checked) before the work
            readable = resolve_readable_rows(
                settings, X, getattr(self, "feature_names_in_", None), row_shape)
            with FitThreads(self.n_threads) as threads:
                stopped = self._distil(settings, X, y, sensitive_features, row_shape, threads,
                                       method, sample_weight=weights)
            # readable rows: in range, one category per one-hot block; X_distilled_ as optimised
            rows = containers.restore(readable.apply(self.X_distilled_), self.y_distilled_,
                                      one_vs_all_classes=self.classes_ if one_vs_all else None)
            if stopped is not None:
                raise stopped_fit(rows, *stopped, self.groups_, self.groups_distilled_)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return rows

    def _distil(self, settings, X, y, sensitive_features, row_shape, threads, method="fit", *,
                sample_weight=None):
        """Guts of fit: checked settings, validated 2-D float ``X``, 1-D ``y``; sets the fitted attributes.

        ``row_shape``: one row's shape as the caller gave it (images), else None.
        ``threads``: the fit's :class:`~skfairdistill._runtime.threads.FitThreads`.
        ``method``: the public method called, named by the error of absent groups.
        ``sample_weight``: checked weights (float64, not all equal) or None.
        Returns None, or ``(n_done, n_planned)`` iterations when Ctrl-C stopped the
        loop (the fitted attributes then hold the rows reached).
        """
        image_shape = resolve_image_shape(settings, row_shape, X.shape[1])
        classes, class_codes = np.unique(y, return_inverse=True)
        refuse_weightless_classes(sample_weight, class_codes, classes)
        budget = resolve_budget(settings, classes)
        if sensitive_features is None:  # only vanilla distillation runs without groups
            if needs_groups(settings.alignment, settings.stratify_groups):
                raise missing_groups_error(settings, method)
            group_codes, groups = np.zeros(len(y), dtype=np.int64), None
        else:
            group_codes, groups = encode_groups(sensitive_features, len(y))
        device = resolve_device(settings.device)
        numpy_rng, torch_rng = make_generators(settings.random_state, device)
        if threads is not None:
            threads.size_to(images=image_shape is not None, device=device)

        n_groups = 1 if groups is None else len(groups)
        cells = CellSampler(class_codes, group_codes, len(classes), n_groups, device,
                            weights=sample_weight)
        warn_about_absent_groups(cells.present, classes, groups)
        per_class = np.array([budget[c] for c in classes])
        self.classes_, self.groups_, self.cell_counts_ = classes, groups, cells.counts
        self.sampling_strategy_ = {c: int(budget[c]) for c in classes}
        self.device_ = device
        self.image_shape_, self.groups_distilled_, self.fairness_weight_ = image_shape, None, None
        if settings.stratify_groups and groups is not None:
            return distil_stratified(self, X, class_codes, group_codes, sample_weight, cells,
                                     per_class, numpy_rng, row_shape, threads)
        real = RealRows(X, device, image_shape=image_shape)
        config = resolve_config(settings, X=X, image_shape=image_shape, real=real,
                                per_class=per_class, cells=cells, device=device,
                                has_groups=groups is not None, classes=classes, groups=groups)
        y_syn = torch.as_tensor(np.repeat(np.arange(len(classes)), per_class), device=device)
        input_shape = image_shape or (real.n_features,)
        if config.matching == "kmeans":  # no optimisation loop: prototypes
            with one_warning_for_small_classes():
                result = kmeans_result(real, cells, per_class, classes, config.alignment,
                                       numpy_rng, input_shape)
        else:
            with one_warning_for_small_classes():
                X_init = initial_rows(settings.init, real, cells,
                                      per_class * config.formation_factor**2, classes,
                                      numpy_rng, torch_rng, alignment=config.alignment)
            X_init = X_init.reshape(len(X_init), *input_shape)
            result = run_matching(real, cells, X_init, y_syn, config, torch_rng)

        self.loss_history_, self.n_iter_ = result.loss_history.numpy(), result.n_iter
        self.fairness_weight_ = result.fairness_weight
        self.X_distilled_, self.y_distilled_, self.X_stored_ = fitted_rows(
            result, real, X.dtype, row_shape, classes, y_syn, config.learning_rate)
        return (result.n_iter, config.n_iter) if result.interrupted else None

    def _fit_resample(self, X, y, **params):
        """imblearn's abstract core: the same work as :meth:`fit`, the fitted set returned."""
        self._fit(X, y, params.get("sensitive_features"), "fit_resample",
                  params.get("sample_weight"))
        return self.X_distilled_, self.y_distilled_

    def __getattr__(self, name):
        # transform, fit_transform: say where the synthetic rows come from instead
        raise missing_attribute(self, name)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC, read a draw's rows at a time
        tags.input_tags.allow_nan = False
        return tags
