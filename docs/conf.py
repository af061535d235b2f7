"""Sphinx configuration: numpydoc API reference from the docstrings, MyST Markdown pages.

Build: pip install -e ".[docs]" && sphinx-build -b html docs docs/_build/html
"""

project = "skfairdistill"
author = "skfairdistill developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
autosummary_generate = True
numpydoc_show_class_members = False
myst_enable_extensions = ["dollarmath"]
html_theme = "alabaster"
