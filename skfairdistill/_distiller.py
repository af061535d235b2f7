"""FairDistiller: parameters, validation, and the round trip from the caller's containers."""

import warnings

import numpy as np
import torch
from imblearn.base import BaseSampler

from ._config import resolve_budget, resolve_config, resolve_image_shape
from ._containers import ContainerRoundTrip
from ._data import RealRows
from ._device import make_generators, resolve_device
from ._groups import CellSampler, encode_groups
from ._matching import MatchingResult, run_matching
from ._memory import check_memory
from ._params import check_params
from ._prototypes import balanced_kmeans
from ._threads import FitThreads
from ._validation import (
    check_classification_target,
    check_finite_rows,
    flatten_images,
    validate_X_y,
    warn_about_absent_groups,
    warn_about_small_classes,
)
from ._wasserstein import TransportSettings


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
        Synthetic rows per class: one number for every class, or a dict
        ``{class_label: n}`` covering exactly the classes of ``y``.
    matching : {"distribution", "gradient", "kmeans"}, default="distribution"
        How the synthetic rows are fitted. ``"distribution"`` (DM, Zhao & Bilen,
        WACV 2023): their mean embedding under a freshly drawn random network
        is pulled towards the target every iteration; cheap. ``"gradient"`` (DC,
        Zhao et al., ICLR 2021): the gradient of a classifier's loss on them is
        matched to the target gradient on real rows (layer-wise 1 − cosine), the
        classifier being trained on them between updates; the targets are the
        class gradient (``"none"``), every group's gradient (``"groupwise"``) or
        the element-wise mean of the group gradients (``"barycenter"``). Each of
        its iterations costs ``outer_loops`` updates and about ``outer_loops *
        inner_steps`` training steps, so it is far slower per iteration.
        ``"kmeans"``: no optimisation loop; per class, the ``n_per_class``
        centroids of scikit-learn's ``KMeans`` (one k-means++ start) on the class's
        real rows, weighted by the alignment: ``"barycenter"`` and ``"groupwise"``
        give every group of the class the same total weight (Lloyd's algorithm on
        the group-balanced mixture, whose mean — and mean embedding under any
        network — is COBRA's barycenter), ``"none"`` weighs every row the same
        (plain k-means). It clusters on the scale of ``X`` as given (k-means is not
        scale-invariant: standardise numeric columns first, as for the models).
        ``n_iter``, ``learning_rate``, ``batch_size``, the embedding, warm-start
        and augmentation parameters and ``init`` are not used; a cell with more
        than 20,000 rows is represented by a random sample of 20,000.
    alignment : {"barycenter", "groupwise", "none"}, default="barycenter"
        The matching target of each class. ``"barycenter"`` is COBRA's
        uniform-weight mean of the groups' mean embeddings; ``"groupwise"`` is
        FairDD's sum of distances to every group's mean (Zhou et al., arXiv
        2411.19623); ``"none"`` is plain (vanilla) distillation towards the
        class mean, which leans towards the majority group.
    preset : {"library", "paper"}, default="library"
        What every ``"auto"`` value below resolves to. ``"library"``: the defaults
        tuned on this project's benchmark. ``"paper"``: the hyper-parameters of
        the authors' public code (mhmoslemi/COBRA, whose scripts run vanilla,
        FairDD and COBRA alike) for the chosen ``matching`` and ``alignment``:
        DM 2600 iterations, step 1.0, 600 real rows per class, DSA with colour,
        COBRA's warm start; DC 1000 iterations, step 0.1, 256 real rows per
        class, no augmentation. Explicit values always win. See
        ``docs/method.md`` ("Presets") for the table and what differs from
        the authors' code.
    distance : {"auto", "l1", "squared_l2"}, default="auto"
        Distance between real and synthetic mean embeddings (``barycenter="mean"``
        only). ``"auto"`` is each method's published distance: squared L2 for
        vanilla DM and FairDD-DM, L1 for COBRA-DM.
    barycenter : {"mean", "wasserstein", "sliced"}, default="mean"
        What ``alignment="barycenter"`` aligns to. ``"mean"`` is COBRA's
        uniform-weight mean of the groups' mean embeddings. The others go beyond
        the paper and target the 2-Wasserstein barycenter of the groups' embedding
        *distributions* (uniform weights over the groups, whatever their sizes),
        with an optimal transport loss on the synthetic embeddings (squared
        Euclidean ground cost; ``distance`` is not used): ``"wasserstein"``, the
        free-support barycenter (the fixed point of POT's
        ``ot.lp.free_support_barycenter`` with exact OT, ``ot.emd``; one support
        point per synthetic row, warm-started at the synthetic embeddings), each
        synthetic embedding pulled along its own fixed-point step (the gradient
        of the barycenter functional), estimated every iteration from one group
        drawn uniformly at random per class (an unbiased estimate of the exact
        step, one OT problem per class instead of one per group); ``"sliced"``, closed-form 1-D
        barycenters along random directions and a sliced :math:`W_2^2`, fully
        batched (no OT solver, no host round trip). Other values than
        ``"mean"`` need ``alignment="barycenter"``; without sensitive features
        they match each class's own embedding distribution. Experimental: on
        the project's benchmark (``benchmarks/results/wasserstein.md``, the 15
        data sets of the suite) neither made the distilled set fairer than
        ``"mean"`` beyond noise, and both were clearly less fair in 12–20 of 30
        settings; the W2 barycenter broke down on coloured digits, whose
        minority cells hold only a few images. With the default MLP they cost
        2.0–3.0× (``"wasserstein"``) and 2.5–3.5× (``"sliced"``) the iteration
        time of ``"mean"``.
    n_iter : int or "auto", default="auto"
        Number of matching iterations (synthetic-set updates). ``"auto"``: 1000
        (library); 2600 for DM and 1000 for DC (paper).
    learning_rate : float or "auto", default="auto"
        Step size of the SGD (momentum 0.5) update of the synthetic rows, which
        live in standardised feature space. ``"auto"`` (library): for
        distribution matching of tables ``0.1 * n_c / 10`` for the rows of a class
        with ``n_c`` synthetic rows (0.1 at 10 rows per class, 0.5 at 50, 2.0 at
        200): the loss compares class *means*, so a row's gradient shrinks like
        ``1 / n_c``, and this keeps every row's step the same whatever the budget
        (``benchmarks/tabular_budget.py``, see ``docs/benchmarks.md``); for
        images through a ConvNet (any embedding but ``"mlp"``) 10, as average
        pooling spreads an embedding's gradient over many pixels; otherwise 0.1.
        ``"auto"`` (paper) is the authors' step (DM 1.0, DC 0.1) on their pixel
        scale, converted to ours for images with values in [0, 1].
    batch_size : int or "auto", default="auto"
        Real rows drawn per (class, group) cell and iteration. A cell with fewer
        rows contributes all of them, each embedded once, so its mean is exact.
        Embedding this mini-batch is most of an iteration's cost. ``"auto"``:
        128 (library; ``benchmarks/results/batch_size.md``); the authors' batch
        per class (DM 600, DC 256) shared equally by the class's groups (paper).
    embedding : {"auto", "mlp", "convnet"} or callable, default="auto"
        The embedding network drawn every iteration. ``"auto"``: the ConvNet-3 of
        the field (3 × [3×3 convolution, 128 channels → instance norm → ReLU → 2×2
        average pooling]) for images, a random MLP for tables. A callable is a
        factory ``factory(input_shape, generator)`` returning a freshly drawn
        network with ``network(X)``, ``network.parameters()`` and
        ``network.width`` (see :func:`skfairdistill.networks.make_embedding` for
        the contract, and for options of the built-in networks, e.g.
        ``functools.partial(make_embedding, "convnet", channels=32)``); it must
        draw its weights from ``generator``. Instance norm normalises every
        channel of every image: on small images whose groups differ in colour
        it hides the group (on the benchmark's 8x8 coloured digits no target
        changed the fairness with it, while ``norm="none"`` took COBRA's DEO_A
        to 0.2–0.3 × vanilla's); pass ``functools.partial(make_embedding,
        "convnet", norm="none")`` there.
    embedding_width : int or "auto", default="auto"
        Width of the randomly drawn embedding MLP (``embedding="mlp"``). ``"auto"``:
        128 for inputs of up to 128 columns, 256 for wider ones
        (:func:`skfairdistill.networks.default_mlp_width`). The cost of an
        iteration grows with the square of the width; on the benchmark's tables (10–96
        columns) 128 is as fair and accurate as 256 at about 0.65x the time
        (``benchmarks/embedding_mlp.py``), but on the flattened coloured digits (192
        columns) it was clearly less fair than 256 (``docs/benchmarks.md``).
    embedding_layers : int, default=2
        Number of hidden layers of the embedding MLP (``embedding="mlp"``).
    warm_start_epochs : int or "auto", default="auto"
        COBRA's warm start (distribution matching): train each freshly drawn
        embedding network for this many epochs on the current synthetic rows
        before it is used, as the authors' code does (plain SGD, step 0.01,
        mini-batches of 256, with the augmentation on images, through a linear
        head). 0 uses purely random networks. ``"auto"``: 0 (library); for
        COBRA-DM the authors' K (paper): 50 epochs at 50 rows per class, 100 at
        100, 10 otherwise. It multiplies an iteration's cost (measured in
        ``docs/benchmarks.md``).
    image_shape : tuple of int or None, default=None
        ``(C, H, W)`` (or ``(H, W)`` for one channel) when the rows of a 2-D ``X``
        are flattened images, channels first. ``X`` of shape ``(n, C, H, W)`` or
        ``(n, H, W)`` is recognised as images without it. Images are
        standardised per channel and embedded with the ConvNet by default.
    augmentation : "auto", str, SiameseAugment or None, default="auto"
        Siamese differentiable augmentation for images (DSA, Zhao & Bilen, ICML
        2021): the same random transform is applied to the real and the synthetic
        images before they are compared. A string names the operations joined by
        ``"_"`` from ``color``, ``crop``, ``cutout``, ``flip``, ``scale``,
        ``rotate``; ``None`` or ``"none"`` turns it off. ``"auto"`` (library)
        is ``"crop_cutout_flip_scale_rotate"`` for images and nothing for tables:
        colour jitter is left out by default because it perturbs a sensitive
        attribute that is coded in colour (coloured digits, grey vs colour
        images); add ``color`` when the groups are not told apart by colour.
        ``"auto"`` (paper): the authors' ``"color_crop_cutout_flip_scale_rotate"``
        for DM, none for DC.
    outer_loops, inner_steps : int or None, default=None
        Gradient matching: synthetic-set updates per drawn classifier, and
        classifier training steps on the synthetic set between them. None takes
        DC's schedule as the COBRA authors' code extends it, for the largest
        class's budget: below 10 rows → (5, 10), 10 → (10, 50), 20 → (20, 25),
        30 → (30, 20), 40 → (40, 15), 50 → (50, 10), above 50 → (100, 10); a
        budget between two entries takes the lower one.
    network_learning_rate : float, default=0.01
        Gradient matching: SGD step size of the classifier's training.
    init : {"real", "noise", "kmeans"}, default="real"
        Start from randomly chosen real rows of each class, from Gaussian noise
        (in standardised space), or from the prototypes of ``matching="kmeans"``
        (with the same alignment), which the matching loop then refines.
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
        Where the optimisation runs; ``"auto"`` uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the local generators of the run; the same seed on the CPU gives
        bit-identical output. Global random state is never touched.
    verbose : int, default=0
        ``>= 1`` shows a progress bar with the current loss.
    n_threads : "auto", int or None, default="auto"
        torch intra-op threads (and, through threadpoolctl, BLAS/OpenMP threads)
        used during the fit; the caller's settings are restored when it returns
        or raises. ``"auto"`` sizes them to the work of one iteration: one thread
        per 2·10^9 floating-point operations, at most the usable cores and
        ``torch.get_num_threads()``. Tables get one thread (an iteration is a few
        small matrix products, for which more threads only wait for each other:
        many times slower on a busy machine); larger work (images) gets more.
        The count never depends on the load, so a seed gives the same rows on
        one machine every time; a different count may change the last bits of
        the rows. On a GPU the host's setting is left alone. An int ``>= 1`` is
        applied as given; ``None`` leaves torch's setting alone, as does
        ``"auto"`` with an ``embedding`` factory of your own (its work is not
        counted).

    Attributes
    ----------
    X_distilled_ : ndarray of shape (n_synthetic, `n_features_in_`) or (n_synthetic, C, H, W)
        The synthetic rows, on the scale of ``X`` and in its form (images of
        shape ``(n, C, H, W)`` in give images out): float32 when ``X`` is float32
        or float16, float64 otherwise (int, bool, nullable pandas columns).
    y_distilled_ : ndarray of shape (n_synthetic,)
        Their class labels (taken from ``classes_``).
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    groups_ : ndarray of shape (n_groups,) or None
        Group labels of the sensitive features (tuples for several columns);
        None when no sensitive features were given.
    cell_counts_ : ndarray of shape (n_classes, n_groups)
        Real rows per (class, group) cell.
    sampling_strategy_ : dict
        Resolved budget ``{class_label: n_synthetic_rows}``.
    loss_history_ : ndarray of shape (`n_iter_`,) or (1,)
        Matching loss at every iteration. With ``matching="kmeans"``, one value:
        the weighted k-means inertia (within-cluster sum of squares, each class's
        weights summing to 1) summed over classes.
    n_iter_ : int
        Iterations actually run (fewer than ``n_iter`` after an interrupt); with
        ``matching="kmeans"``, the Lloyd iterations of the longest class.
    interrupted_ : bool
        True when the run was stopped by ``KeyboardInterrupt``; the synthetic
        set is then the one reached at that point.
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

    Against group-balanced k-means (``matching="kmeans"``), the strongest simple
    baseline on tables (``benchmarks/tabular_budget.py``, ``docs/benchmarks.md``;
    Adult by sex and race and two synthetic tables never used in tuning, LogReg and
    an MLP, 10/50/200 rows per class, 3 seeds): the default distillation is more
    accurate on average (0.811 vs 0.800) and fairer (DEO_M 0.078 vs 0.089), and at
    least as accurate in 18 of 24 settings. It still loses at 10 rows per class in
    5 of 8 settings, by 0.2–0.9 points (Adult by sex, LogReg: 0.804 / DEO_M 0.106
    against 0.810 / 0.117), and with a budget of 200 rows per class it stays about
    3.4 points below a model trained on all of Adult (0.816 vs 0.850, LogReg). On
    Adult ``matching="kmeans"`` fits in about 0.4x the time.

    Real mini-batches are drawn per (class, group) cell, so small groups are in
    every iteration. Features are standardised internally and the synthetic rows
    mapped back, so wildly different feature scales are harmless; constant
    columns are left out of the optimisation and keep their value exactly.

    A fit is all or nothing: if it raises (bad input, or a ``KeyboardInterrupt``
    before the matching loop starts), the estimator keeps the state it had before
    the call. An interrupt during the loop is not an error: it ends the fit early
    with the rows reached (``interrupted_``).

    Divergence: a fit never returns NaN or infinite rows. A step too large for the
    data (``learning_rate``) makes the matching loss NaN or infinite; the loop
    checks it every 256 iterations and stops with a ``ValueError`` that says to
    lower ``learning_rate`` (the fit is then all or nothing, as above: keeping
    "the last finite rows" would mean copying the rows every iteration). Rows that
    overflow the dtype of ``X`` on the way back to its scale are refused the same
    way. Sizes that cannot fit in the device's memory (``n_per_class``,
    ``embedding_width``, ...) are refused before anything is allocated, with the
    memory they would need; a huge ``n_iter`` costs memory only for the
    iterations run.

    Large data: the cost of an iteration does not depend on the number of rows.
    A fit makes one indexing pass over the labels and groups (an int64 index with
    one entry per row) and computes the column statistics in blocks; every
    iteration then gathers ``batch_size`` rows per (class, group) cell by index.
    A C-contiguous float32 ``X`` is used in place, without a copy; other dtypes
    get one standardised float32 copy. A memory-mapped ``X`` (``np.memmap``,
    ``np.load(path, mmap_mode="r")``) or a Dask array is never loaded whole: it
    is checked and its statistics computed block by block, and each iteration
    reads only the rows it drew (from a memory-mapped file with ``pread``, so its
    pages are not mapped into the process) — with the same synthetic rows as the
    same C-ordered array in memory. ``y`` and ``sensitive_features`` (one value
    per row) are held in memory.

    Threads: an iteration is a few small matrix products, for which torch's
    default of one thread per core can be many times slower than one thread
    when the cores are busy with something else (other processes, or parallel
    fits such as a grid search with ``n_jobs``): the threads wait for each other.
    So the fit sizes its threads to an iteration's work (``n_threads="auto"``)
    and gives the caller's thread settings back when it returns;
    ``benchmarks/results/threads.md`` has the measurements.

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

    # An imblearn Pipeline routes the metadata of its ``fit`` to both ``fit`` and
    # ``fit_resample`` of a sampler step. ``sensitive_features`` is what a distiller is
    # for (like ``groups`` for a group splitter), so ``fit`` requests it by default and
    # users only need the documented ``set_fit_resample_request(sensitive_features=True)``.
    __metadata_request__fit = {"sensitive_features": True}

    def __init__(
        self,
        *,
        n_per_class=10,
        matching="distribution",
        alignment="barycenter",
        preset="library",
        distance="auto",
        barycenter="mean",
        n_iter="auto",
        learning_rate="auto",
        batch_size="auto",
        embedding="auto",
        embedding_width="auto",
        embedding_layers=2,
        warm_start_epochs="auto",
        image_shape=None,
        augmentation="auto",
        outer_loops=None,
        inner_steps=None,
        network_learning_rate=0.01,
        init="real",
        device="auto",
        random_state=None,
        verbose=0,
        n_threads="auto",
    ):
        self.n_per_class = n_per_class
        self.matching = matching
        self.alignment = alignment
        self.preset = preset
        self.distance = distance
        self.barycenter = barycenter
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.embedding = embedding
        self.embedding_width = embedding_width
        self.embedding_layers = embedding_layers
        self.warm_start_epochs = warm_start_epochs
        self.image_shape = image_shape
        self.augmentation = augmentation
        self.outer_loops = outer_loops
        self.inner_steps = inner_steps
        self.network_learning_rate = network_learning_rate
        self.init = init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads

    def fit(self, X, y, *, sensitive_features=None):
        """Distil ``X``, ``y``; the synthetic set is stored in ``X_distilled_``, ``y_distilled_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            Numeric training rows (dense, finite), or images (channels first; also
            ``(n_samples, H, W)``, or flat rows with ``image_shape``). Categorical columns must be
            encoded first (e.g. ``OneHotEncoder``); sparse input must be densified
            or reduced (e.g. ``TruncatedSVD``) first. A memory-mapped or Dask
            array is read in blocks, never loaded whole (see Notes).
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
                default=None
            Group membership of every row; several columns are combined into
            intersectional groups. None runs vanilla distillation with a warning.

        Returns
        -------
        self : FairDistiller
        """
        self._fit(X, y, sensitive_features)
        return self

    def fit_resample(self, X, y, *, sensitive_features=None):
        """Distil ``X``, ``y`` and return the synthetic set in the caller's containers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            Numeric training rows (dense, finite): array, DataFrame or list, or a
            memory-mapped or Dask array, read in blocks (see Notes); or images.
        y : array-like of shape (n_samples,)
            Class labels (array, Series, list, or one-vs-all encoded).
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
                default=None
            Group membership of every row; several columns are combined into
            intersectional groups. None runs vanilla distillation with a warning.

        Returns
        -------
        X_syn : array-like of shape (n_synthetic, n_features) or (n_synthetic, C, H, W)
            Synthetic rows in the container of ``X`` (DataFrame in, DataFrame out;
            images in, images of the same shape out).
        y_syn : array-like of shape (n_synthetic,)
            Their labels in the container of ``y``.
        """
        containers = ContainerRoundTrip(X, y)
        one_vs_all = self._fit(X, y, sensitive_features)
        return containers.restore(
            self.X_distilled_,
            self.y_distilled_,
            one_vs_all_classes=self.classes_ if one_vs_all else None,
        )

    def _fit(self, X, y, sensitive_features):
        """Validate, encode, distil; set the fitted attributes. Returns the one-vs-all flag.

        All or nothing: when anything raises — a bad input, or a ``KeyboardInterrupt``
        before the matching loop (the loop itself catches it and keeps its rows) —
        the estimator is restored to its state before the call: unfitted, or fitted
        on the previous data. Without this, ``validate_data`` would leave a fresh
        ``n_features_in_`` behind, which makes a failed fit look fitted.
        """
        saved = dict(vars(self))
        try:
            check_params(self.get_params(deep=False))
            X, row_shape = flatten_images(X)
            X, y = validate_X_y(self, X, y)
            y, one_vs_all = check_classification_target(y)
            with FitThreads(self.n_threads) as threads:
                self._distil(
                    X, y, sensitive_features=sensitive_features, row_shape=row_shape,
                    threads=threads,
                )
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return one_vs_all

    def _distil(self, X, y, *, sensitive_features=None, row_shape=None, threads=None):
        """Guts of fit: validated 2-D float ``X`` and 1-D ``y``; sets the fitted attributes.

        Not imblearn's ``_fit_resample`` (which returns the resampled set and is
        the whole of a sampler's work): this sets every fitted attribute and
        returns nothing. ``row_shape`` is the shape of one row as the caller gave
        it (``(C, H, W)`` or ``(H, W)`` for images passed as such; None for 2-D
        ``X``). ``threads``: the fit's :class:`~skfairdistill._threads.FitThreads`,
        sized here to an iteration.
        """
        image_shape = resolve_image_shape(self, row_shape, X.shape[1])
        classes, class_codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes[0]!r}); distillation needs at least two classes."
            )
        budget = resolve_budget(self, classes)
        if sensitive_features is None:
            warnings.warn(
                "sensitive_features is None: running vanilla distillation (no group "
                "alignment). Inside a Pipeline this usually means metadata routing is not "
                "enabled: call sklearn.set_config(enable_metadata_routing=True) and pass "
                "sensitive_features to the pipeline's or search's fit (with a "
                "DistilledClassifier, also call its set_fit_request(sensitive_features=True)).",
                UserWarning,
                stacklevel=4,
            )
            group_codes, groups = np.zeros(len(y), dtype=np.int64), None
        else:
            group_codes, groups = encode_groups(sensitive_features, len(y))
        device = resolve_device(self.device)
        numpy_rng, torch_rng = make_generators(self.random_state, device)

        n_groups = 1 if groups is None else len(groups)
        cells = CellSampler(class_codes, group_codes, len(classes), n_groups, device)
        warn_about_absent_groups(cells.present, classes, groups)
        real = RealRows(X, device, image_shape=image_shape)
        per_class = np.array([budget[c] for c in classes])
        y_syn = torch.as_tensor(np.repeat(np.arange(len(classes)), per_class), device=device)
        config = resolve_config(
            self, X=X, image_shape=image_shape, real=real, per_class=per_class, y_syn=y_syn,
            has_groups=groups is not None, max_groups=int(cells.present.sum(axis=1).max()),
        )
        check_memory(self, per_class, real.n_features, image_shape, cells, device,
                     config.batch_size)
        input_shape = image_shape or (real.n_features,)
        if config.matching != "kmeans":
            X_init = self._initial_rows(real, cells, per_class, classes, numpy_rng, torch_rng,
                                        alignment=config.alignment)
            X_init = X_init.reshape(len(X_init), *input_shape)
        # a factory of the user's is not drawn an extra time to count its work
        if threads is not None and not callable(self.embedding):
            # real rows per iteration: each drawn row embedded once
            real_rows = int(np.minimum(cells.counts, config.batch_size).sum())
            threads.size_to(config.network_factory, input_shape, real_rows, len(y_syn), device)

        if config.matching == "kmeans":  # no optimisation loop: prototypes
            result = self._kmeans(real, cells, per_class, classes, config, numpy_rng,
                                  input_shape)
        else:
            result = run_matching(real, cells, X_init, y_syn, config, torch_rng)
        if result.interrupted:
            warnings.warn(
                f"Distillation interrupted after {result.n_iter} of {config.n_iter} iterations; "
                "the synthetic set reached so far is kept (interrupted_=True).",
                UserWarning,
                stacklevel=4,
            )

        self.classes_ = classes
        self.groups_ = groups
        self.cell_counts_ = cells.counts
        self.sampling_strategy_ = {c: int(budget[c]) for c in classes}
        self.device_ = device
        self.image_shape_ = image_shape
        self.loss_history_ = result.loss_history.numpy()
        self.n_iter_ = result.n_iter
        self.interrupted_ = result.interrupted
        X_syn = real.to_original_scale(result.X_syn.reshape(len(result.X_syn), -1))
        X_syn = X_syn.astype(X.dtype, copy=False)
        check_finite_rows(X_syn, config.learning_rate)
        self.X_distilled_ = X_syn if row_shape is None else X_syn.reshape(-1, *row_shape)
        self.y_distilled_ = classes[y_syn.cpu().numpy()]

    def _fit_resample(self, X, y, **params):
        """imblearn's abstract core, with imblearn's contract: validated X, y in, the set out.

        ``fit`` and ``fit_resample`` do not go through it (they validate, route
        ``sensitive_features`` and restore the containers themselves); it exists
        because imblearn's ``BaseSampler`` declares it abstract.
        """
        self._distil(X, y, sensitive_features=params.get("sensitive_features"))
        return self.X_distilled_, self.y_distilled_

    def _transport_settings(self):
        """The optimal-transport settings of ``barycenter="wasserstein"`` and ``"sliced"``.

        Not parameters: the defaults are the measured choice. A benchmark that
        varies them subclasses the estimator and overrides this method.
        """
        return TransportSettings()

    def _kmeans(self, real, cells, per_class, classes, config, numpy_rng, input_shape):
        """``matching="kmeans"``: the group-balanced k-means prototypes, as a MatchingResult."""
        warn_about_small_classes(per_class, cells.counts.sum(axis=1), classes, "kmeans")
        X_syn, inertia, n_iter = balanced_kmeans(
            real, cells, per_class, alignment=config.alignment, rng=numpy_rng
        )
        return MatchingResult(
            X_syn=X_syn.reshape(len(X_syn), *input_shape),
            loss_history=torch.tensor([inertia], dtype=torch.float32),
            n_iter=n_iter,
            interrupted=False,
        )

    def _initial_rows(self, real, cells, per_class, classes, numpy_rng, torch_rng, *,
                      alignment):
        """Standardised starting rows: random real rows of each class, noise, or k-means."""
        device = torch_rng.device
        if self.init == "kmeans":
            warn_about_small_classes(per_class, cells.counts.sum(axis=1), classes, "kmeans")
            return balanced_kmeans(real, cells, per_class, alignment=alignment,
                                   rng=numpy_rng)[0]
        if self.init == "noise":
            return torch.randn(
                (int(per_class.sum()), real.n_features), generator=torch_rng, device=device
            )
        blocks = []
        for code, (n_syn, n_real) in enumerate(zip(per_class, cells.counts.sum(axis=1))):
            positions = numpy_rng.choice(n_real, size=n_syn, replace=n_syn > n_real)
            block = real.gather(cells.rows_of_class(code, positions))
            if n_syn > n_real:
                label = classes.tolist()[code]  # plain Python: 1, not np.int64(1)
                warnings.warn(
                    f"Class {label!r} has {n_real} rows but {n_syn} synthetic rows "
                    "were asked for; they start from its rows drawn with replacement, plus "
                    "small noise so that copies can move apart.",
                    UserWarning,
                    stacklevel=5,
                )
                block = block + 0.01 * torch.randn(
                    block.shape, generator=torch_rng, device=device
                )
            blocks.append(block)
        return torch.cat(blocks)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags
