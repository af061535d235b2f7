"""The names of the alignment choices, torch-free: the command line imports them at start-up."""

ALIGNMENTS = ("barycenter", "groupwise", "none")
