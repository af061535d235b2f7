"""The README and the docs: written for users, and every link between them resolves.

The Sphinx build (``-W``) checks the links of the built pages; these tests need no Sphinx
and also cover what Sphinx does not build: the README, and the links as GitHub renders them.
Headings are anchored as GitHub and MyST (``myst_heading_anchors`` in docs/conf.py) do.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
HEADING_DEPTH = 4  # myst_heading_anchors in docs/conf.py

# Project history and internal references have no place in a user's documentation.
HISTORY = re.compile(
    r"\bissue\s*#?\d+|\bthe \w+ issue\b|\b(?:this|last|previous|next|earlier) round\b"
    r"|\bround (?:one|two|three)\b|\bprevious session\b|\bdesign notes?\b"
    r"|\b(?:DESIGN|STYLE)\.md\b|\bshared/|\bcode before\b|\bfaster machine\b",
    re.IGNORECASE,
)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCSTRING_REF = re.compile(r":ref:`(?:[^`<]*<)?([\w/-]+)#([^`>]+)>?`")
PLAIN_DOCS_PATH = re.compile(r"docs/\w+\.md|``\w+\.md``")


def _slug(title):
    """GitHub's heading slug (MyST's ``github`` preset)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link keeps its text
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


def _anchors(page):
    """The heading anchors of a Markdown page, duplicates numbered -1, -2, ..."""
    anchors, seen, fence = set(), {}, None
    for line in page.read_text(encoding="utf-8").splitlines():
        marker = re.match(r"\s*(```|~~~)", line)
        if marker:
            fence = None if fence == marker.group(1) else fence or marker.group(1)
            continue
        heading = re.match(r"(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if fence or not heading or len(heading.group(1)) > HEADING_DEPTH:
            continue
        slug = _slug(heading.group(2))
        if slug in seen:
            seen[slug] += 1
            slug = f"{slug}-{seen[slug]}"
        else:
            seen[slug] = 0
        anchors.add(slug)
    return anchors


def _api_names():
    """The public names of docs/api.rst, each with its module."""
    names, module = [], None
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        current = re.match(r"\.\. currentmodule:: (\S+)", line)
        if current:
            module = current.group(1)
        entry = re.fullmatch(r"   ([A-Za-z_][\w.]*)", line)
        if entry and module:
            names.append(f"{module}.{entry.group(1)}")
    return names


def _locate(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def _docstrings(dotted):
    """The docstring of a public name and of its public methods, as rendered."""
    obj = _locate(dotted)
    found = [(dotted, inspect.getdoc(obj) or "")]
    if inspect.isclass(obj):
        for name, member in vars(obj).items():
            if not name.startswith("_") and callable(member) and member.__doc__:
                found.append((f"{dotted}.{name}", inspect.getdoc(member)))
    return found


PUBLIC_MODULES = [
    "skfairdistill", "skfairdistill.metrics", "skfairdistill.datasets",
    "skfairdistill.preprocessing", "skfairdistill.model_selection", "skfairdistill.plotting",
    "skfairdistill.networks", "skfairdistill.evaluation", "skfairdistill.experimental",
]
# Their plain-text references to the docs are still to be turned into links.
PLAIN_REFERENCES_LEFT = {
    "skfairdistill.FairDistiller",
    "skfairdistill.class_prior_weights",
}


def test_the_page_lists_are_what_the_tests_read():
    assert len(PAGES) >= 7 and (DOCS / "benchmark_summary.md") in PAGES
    assert len(_api_names()) >= 30
    assert {"parameters-in-depth", "matching_params", "embedding"} <= _anchors(DOCS / "method.md")


def test_slug_is_github_s():
    assert _slug("Class prior (tune): the synthetic set's, the data's") == (
        "class-prior-tune-the-synthetic-sets-the-datas")
    assert _slug('CAFE: layer-wise feature alignment (`matching="cafe"`)') == (
        "cafe-layer-wise-feature-alignment-matchingcafe")
    assert _slug("The papers' published numbers (image benchmarks — not ours)") == (
        "the-papers-published-numbers-image-benchmarks--not-ours")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_project_history(page):
    hits = [(n, line) for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
            if HISTORY.search(line)]
    assert not hits, f"{page.name}: project history or internal references: {hits}"


def test_history_pattern_catches_what_it_should():
    for text in ["as the scaling issue showed", "see issue 14", "the code before this round",
                 "design notes", "an earlier, faster machine", "shared/DESIGN.md"]:
        assert HISTORY.search(text), text
    for text in ["a round trip", "round(255 * value)", "the issues tracker of POT"]:
        assert not HISTORY.search(text), text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_markdown_links_resolve(page):
    """Every relative link names an existing file, heading or public name."""
    text = page.read_text(encoding="utf-8")
    api_labels = set(re.findall(r"^\.\. _([\w-]+):$", (DOCS / "api.rst").read_text(), re.M))
    broken = []
    for target in MARKDOWN_LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        if not path:  # a public name or a label of the API reference
            if anchor.startswith("skfairdistill."):
                try:
                    _locate(anchor)
                except (ImportError, AttributeError):
                    broken.append(target)
            elif anchor not in api_labels and anchor not in _anchors(page):
                broken.append(target)
            continue
        linked = (page.parent / path).resolve()
        if not linked.exists():
            broken.append(target)
        elif anchor and anchor not in _anchors(linked):
            broken.append(target)
    assert not broken, f"{page.name}: links that lead nowhere: {broken}"


def test_the_summary_links_to_the_detailed_page_and_comes_first():
    summary = (DOCS / "benchmark_summary.md").read_text(encoding="utf-8")
    sections = [t for t in MARKDOWN_LINK.findall(summary) if t.startswith("benchmarks.md#")]
    assert len(sections) >= 10
    toctree = (DOCS / "index.md").read_text(encoding="utf-8")
    assert toctree.index("benchmark_summary") < toctree.index("\nbenchmarks\n")
    assert "docs/benchmark_summary.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_install_commands_for_cpu_only_and_gpu_machines():
    text = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in text
    assert "torch.cuda.is_available()" in text


@pytest.mark.parametrize("dotted", _api_names())
def test_docstring_references_to_the_docs_are_links(dotted):
    plain = [(name, line) for name, doc in _docstrings(dotted) for line in doc.splitlines()
             if PLAIN_DOCS_PATH.search(line)]
    if dotted in PLAIN_REFERENCES_LEFT:
        assert plain, f"{dotted} links its docs now: drop it from PLAIN_REFERENCES_LEFT"
        return
    assert not plain, f"write :ref:`page#heading-slug` or :doc:`/page` instead: {plain}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_module_docstrings_link_the_docs(module):
    doc = importlib.import_module(module).__doc__ or ""
    assert not PLAIN_DOCS_PATH.search(doc)


@pytest.mark.parametrize("dotted", [*PUBLIC_MODULES, *_api_names()])
def test_docstring_links_name_an_existing_heading(dotted):
    docs = (_docstrings(dotted) if dotted not in PUBLIC_MODULES
            else [(dotted, importlib.import_module(dotted).__doc__ or "")])
    broken = [f"{page}#{slug}" for _, doc in docs for page, slug in DOCSTRING_REF.findall(doc)
              if not (DOCS / f"{page}.md").exists() or slug not in _anchors(DOCS / f"{page}.md")]
    assert not broken, f"{dotted}: :ref: to headings that do not exist: {broken}"
