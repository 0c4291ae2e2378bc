"""The imports go one way: commands -> build -> pdf/epub -> read -> the shared modules.

Every module of ``pipeline`` (and ``tasks.py`` on top) is read with ``ast``, imports inside
functions included: a lazy import is still a dependency, and a cycle through one is still a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

from tests.conftest import ROOT

# A stage may import its own modules and those of a lower rank; the modules at the top of
# pipeline/ (model, errors, config, dates, output, fonts, templates, preview) are shared and
# import no stage.
RANKS = {
    "shared": 0,
    "read": 1,
    "pdf": 2,
    "epub": 2,
    "build": 3,
    "shelf": 3,
    "commands": 4,
    "tasks": 5,
}


def module_names() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package, and tasks.py."""
    modules = {"tasks": ROOT / "tasks.py"}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that ``name`` imports, wherever in the file the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..model import y
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # `from pipeline.read import recognise` imports the module pipeline.read.recognise
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found |= {target for target in targets if target in known and target != name}
    return found


def stage(name: str) -> str:
    """The stage a module belongs to: its subpackage of pipeline/, or "shared"."""
    if name == "tasks":
        return "tasks"
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS) else "shared"


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def test_every_stage_has_a_rank() -> None:
    stages = {stage(name) for name in module_names()}
    assert stages <= set(RANKS), f"give the new stage a rank in RANKS: {stages - set(RANKS)}"


def test_no_import_cycle() -> None:
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as err:
        raise AssertionError(f"import cycle: {' -> '.join(err.args[1])}") from None


def test_no_upward_import() -> None:
    upward = [
        f"{name} ({stage(name)}) imports {target} ({stage(target)})"
        for name, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if stage(target) != stage(name) and RANKS[stage(target)] >= RANKS[stage(name)]
    ]
    assert upward == []


def test_the_walk_finds_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    """The checker itself: a lazy, a relative and a `from package import module` import."""
    source = tmp_path / "reports.py"
    source.write_text(
        "from pipeline.read import recognise\n"
        "from ..model import Report\n"
        "def build():\n    from pipeline.commands.check import check_pdf\n",
        encoding="utf-8",
    )
    known = {"pipeline.read.recognise", "pipeline.model", "pipeline.commands.check"}
    assert imports_of("pipeline.build.reports", source, known) == known
    assert stage("pipeline.model") == "shared" and stage("pipeline.read") == "read"
    assert stage("pipeline.commands.check") == "commands" and stage("pipeline") == "shared"
