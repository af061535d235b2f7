"""The layout's import rules: no part of the package imports a part above it."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "skfairdistill"

# top to bottom: the data flow of a fit, from the door down to the runtime
LAYERS = [
    ("__main__", "_cli"),
    ("evaluation", "plotting", "networks"),
    ("_estimators",),
    ("_config",),
    ("_data",),
    ("_matching",),
    ("experimental", "_targets"),
    ("_nn",),
    ("_runtime",),
    ("_checks", "metrics", "datasets", "preprocessing", "model_selection"),
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _imports():
    """(importing part, imported part, file) of every import between two parts."""
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).with_suffix("")
        package = list(relative.parts[:-1]) if relative.name != "__init__" else list(
            relative.parts[:-1])
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "skfairdistill":
                target = node.module.split(".")[1:]
            else:
                continue
            if target and relative.parts[0] != "__init__" and relative.parts[0] != target[0]:
                yield relative.parts[0].removesuffix(".py"), target[0], path


def test_every_part_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert parts - {"__init__"} <= set(RANK), sorted(parts - set(RANK) - {"__init__"})


@pytest.mark.parametrize("source, target, path", list(_imports()),
                         ids=lambda value: str(value) if not isinstance(value, pathlib.Path)
                         else value.name)
def test_no_part_imports_a_part_above_it(source, target, path):
    assert RANK[source] <= RANK[target], f"{path}: {source} imports {target}, a part above it"


def test_at_most_eight_private_modules_at_the_top_and_none_over_450_lines():
    private = [p for p in PACKAGE.glob("_*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(private) <= 8, private
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 450}
    assert not long, long
