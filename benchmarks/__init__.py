"""skfairdistill's benchmarks: one harness (``harness.py``), studies declared as data
(``studies.py``), one command line (``python -m benchmarks``)."""
