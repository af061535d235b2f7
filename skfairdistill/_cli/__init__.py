"""The command line (``python -m skfairdistill``): the demo, distilling a file, tabular file I/O."""
