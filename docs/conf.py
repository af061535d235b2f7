"""Sphinx configuration: numpydoc API reference from the docstrings, MyST Markdown pages.

Build: pip install -e ".[docs]" && sphinx-build -b html docs docs/_build/html
(CI adds -W --keep-going: every warning is an error). The API reference (api.rst)
lists the public names only; the private modules of the package are not documented.

Links between the pages and the API reference:

- a Markdown page links a heading of another page as GitHub does,
  ``[Parameters in depth](method.md#parameters-in-depth)`` (GitHub's heading slugs,
  ``myst_heading_anchors``), a public name as
  ``[`FairDistiller`](#skfairdistill.FairDistiller)`` and a section of the API reference
  by its label, ``[the experimental API](#api-experimental)``; the links to headings also
  work when the Markdown file is read on GitHub;
- a docstring (reStructuredText) links the same heading as
  ``:ref:`method#parameters-in-depth``` (the page's name, ``#``, the same slug; shown
  as the heading's text) and a whole page as ``:doc:`/method```.

A link to a heading that does not exist is a warning, so the ``-W`` build fails on it;
tests/test_docs.py checks the same links without Sphinx, the README's included.
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
# GitHub's slugs for the headings of levels 1-4: the same anchors on GitHub and here
myst_heading_anchors = 4
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


def _label_heading_slugs(app, doctree):
    """Make every anchored heading of a Markdown page a label for ``:ref:``.

    MyST resolves ``page.md#slug`` in Markdown only; docstrings are reStructuredText,
    whose ``:ref:`` knows explicit labels only. The label is ``page#slug`` (``page``:
    the document's name), pointing at the heading's section.
    """
    env = app.env
    slugs = env.metadata.get(env.docname, {}).get("myst_slugs", {})
    std = env.get_domain("std")
    for slug, (_line, node_id, title) in slugs.items():
        name = f"{env.docname}#{slug}"
        std.labels[name] = (env.docname, node_id, title)
        std.anonlabels[name] = (env.docname, node_id)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_foreign_roles)
    app.connect("doctree-read", _label_heading_slugs)
