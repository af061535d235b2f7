"""Sphinx configuration: numpydoc API reference from the docstrings, MyST Markdown pages.

Build: pip install -e ".[docs]" && sphinx-build -b html docs docs/_build/html
(CI adds -W --keep-going: every warning is an error). The API reference (api.rst)
lists the public names only; the private modules of the package are not documented.
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
# class pages document every public method with its parameters (sklearn style),
# inherited ones (get_params, set_params, ...) included
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
myst_enable_extensions = ["dollarmath"]
html_theme = "alabaster"

# The methods inherited from scikit-learn (get_params, score, set_*_request, ...)
# keep scikit-learn's docstrings, whose :ref: and :term: targets live in
# scikit-learn's own docs: turn them into plain text here, so that the build
# runs with -W (warnings as errors) without network access for intersphinx.
import re  # noqa: E402

_FOREIGN_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _unlink_foreign_roles(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] not in ("sklearn", "imblearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _FOREIGN_ROLE.sub(lambda m: (m.group(1) or m.group(2)).strip(), line)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_foreign_roles)
