"""The caller's data on its way in and out of a fit.

Validation, groups and (class, group) cells, standardised rows (in memory,
memory-mapped or Dask), and the fitted rows in the caller's containers."""
