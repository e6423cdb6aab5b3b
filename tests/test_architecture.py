"""The shape of the code, checked: layers, no import cycles, the benchmarks apart, module size.

The product is built in stages, each a package, and a module may import only from its own
stage or an earlier one. LAYERS below is the one table of that order (docs and reviews refer
to it); a new module under src/newsweave must fall under one of its entries. Imports are read
from the source with ``ast``, wherever they sit in a file: at module level, inside functions,
under ``if TYPE_CHECKING:``; ``importlib.import_module("...")`` with a literal name counts too.
``from pkg import name`` is an import of the module pkg.name when there is one, else of pkg.

Also checked: no cycle among the modules of src/newsweave (the same imports as the layers),
the product never imports the benchmarks (``newsweave_bench``), no module of the product or of
the benchmarks is over MAX_LINES lines, and the wheel of the product ships no benchmark code
but does ship the data files briefs cannot do without (the salience and verdict models).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "newsweave"
BENCHMARKS = ROOT / "benchmarks" / "newsweave_bench"
MAX_LINES = 600

# The stages in pipeline order: a module may import from its own layer and the ones above it
# in this table, never from one below. "name" is that module exactly; "name.*" is a package:
# its __init__ and every module under it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Records, errors, ids and settings, and text tools that know nothing of the stages.
    (
        "core",
        (
            "newsweave.errors",
            "newsweave.records",
            "newsweave.ids",
            "newsweave.choices",
            "newsweave.config",
            "newsweave.configfile",
            "newsweave.text.*",
            # A story's reports as read and compared: the record the brief and verifier share.
            "newsweave.analysis",
        ),
    ),
    ("storage", ("newsweave.storage.*",)),  # the library's database over either backend
    ("ingest", ("newsweave.ingest.*",)),  # files, feeds and pages read safely
    ("stories", ("newsweave.stories.*",)),  # near-duplicates, clustering into stories
    # Below the brief because the writers check each sentence with it.
    ("verification", ("newsweave.verification.*",)),
    ("brief", ("newsweave.writing.*",)),  # claims, conflicts, salience, composition, writers
    ("render", ("newsweave.render.*",)),  # Markdown, HTML, JSON, editions
    ("pipeline", ("newsweave.pipeline.*",)),  # the stages run in order, the worker, backfill
    ("web", ("newsweave.web.*",)),  # the reader
    # The command line and the public API on top of everything.
    ("entry", ("newsweave.cli.*", "newsweave.public", "newsweave", "newsweave.__main__")),
)


def layer_of(module: str) -> int | None:
    """The index in LAYERS of a module of newsweave, or None when no entry covers it."""
    for index, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if pattern.endswith(".*"):
                package = pattern[:-2]
                if module == package or module.startswith(package + "."):
                    return index
            elif module == pattern:
                return index
    return None


def _layer_name(index: int | None) -> str:
    return "no layer" if index is None else f"layer {index} {LAYERS[index][0]}"


# Reading the imports -------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import in one module: the module it reaches and where it is written."""

    module: str  # the importing module
    target: str  # the module imported (dotted name)
    path: Path
    line: int
    statement: str

    def where(self) -> str:
        """ "src/newsweave/x.py:12 (from a import b)"."""
        return f"{self.path.relative_to(ROOT)}:{self.line} ({self.statement})"


def module_name(path: Path, root: Path = SRC) -> str:
    """The dotted name of a module file under root (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(folder: Path) -> list[Path]:
    """Every .py file under a folder, caches left out."""
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def modules() -> dict[str, Path]:
    """Every module of src/newsweave by dotted name."""
    return {module_name(p): p for p in python_files(PACKAGE)}


def _resolve(module: str, path: Path, level: int, name: str | None) -> str:
    """The absolute package a relative `from ... import` names."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    return ".".join([*package, *(name.split(".") if name else [])])


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    """Every import in a module's file, anywhere in it, with relative names made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, path, node.lineno, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _resolve(module, path, node.level, node.module)
            else:
                package = node.module or ""
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                statement = f"from {written} import {alias.name}"
                candidate = f"{package}.{alias.name}"
                target = candidate if candidate in known else package
                yield Import(module, target, path, node.lineno, statement)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if (
                called in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                statement = f"{called}({first.value!r})"
                yield Import(module, first.value, path, node.lineno, statement)


def all_imports() -> list[Import]:
    """Every import of every module of src/newsweave."""
    found = modules()
    known = set(found)
    return [i for name, path in found.items() for i in imports_of(name, path, known)]


def _is_product(target: str) -> bool:
    return target == "newsweave" or target.startswith("newsweave.")


# The rules -----------------------------------------------------------------------------------


def test_every_module_imports_only_its_own_layer_or_earlier_ones() -> None:
    problems = [
        f"{name}: not covered by LAYERS in tests/test_architecture.py; add it to its stage"
        for name in modules()
        if layer_of(name) is None
    ]
    seen: set[tuple[str, str, int]] = set()
    for imp in all_imports():
        if not _is_product(imp.target) or (imp.module, imp.target, imp.line) in seen:
            continue
        seen.add((imp.module, imp.target, imp.line))
        own, theirs = layer_of(imp.module), layer_of(imp.target)
        if own is None:
            continue  # reported above
        if theirs is None:
            problems.append(
                f"{imp.module} imports {imp.target}, which no layer covers: {imp.where()}"
            )
        elif theirs > own:
            problems.append(
                f"{imp.module} ({_layer_name(own)}) imports {imp.target} ({_layer_name(theirs)}), "
                f"a later layer: {imp.where()}"
            )
    assert not problems, "\n".join(["imports against the layer order:", *problems])


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def test_imports_are_read_wherever_they_are_written(tmp_path: Path) -> None:
    source = """
from typing import TYPE_CHECKING
from . import claims
from .writers import llm
from ..storage import Store
if TYPE_CHECKING:
    from newsweave.render import view
def later():
    import newsweave.pipeline.briefing
    return importlib.import_module("newsweave.web")
"""
    known = {"newsweave.writing.claims", "newsweave.writing.writers.llm", "newsweave.render.view"}
    (tmp_path / "compose.py").write_text(source, encoding="utf-8")
    (tmp_path / "__init__.py").write_text(source, encoding="utf-8")
    for module, name in (
        ("newsweave.writing.compose", "compose.py"),
        ("newsweave.writing", "__init__.py"),
    ):
        found = {i.target for i in imports_of(module, tmp_path / name, known)}
        assert found == {
            "typing",
            "newsweave.writing.claims",
            "newsweave.writing.writers.llm",
            "newsweave.storage",  # `..` from the package, as from its modules
            "newsweave.render.view",
            "newsweave.pipeline.briefing",
            "newsweave.web",
        }


def test_the_layer_table_places_packages_and_modules() -> None:
    assert layer_of("newsweave") == layer_of("newsweave.cli.common") == len(LAYERS) - 1
    assert layer_of("newsweave.text.values.numbers") == layer_of("newsweave.errors") == 0
    assert layer_of("newsweave.verification.story") < layer_of("newsweave.writing.compose")  # type: ignore[operator]
    assert layer_of("newsweave.elsewhere") is None


def test_strongly_connected_finds_cycles_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d"], ["e"]]


def test_no_import_cycles_among_the_modules() -> None:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    edges: dict[tuple[str, str], Import] = {}
    for imp in all_imports():
        if imp.target in known and imp.target != imp.module:
            graph[imp.module].add(imp.target)
            edges.setdefault((imp.module, imp.target), imp)
    problems = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        inside = [
            f"  {a} -> {b}: {imp.where()}"
            for (a, b), imp in sorted(edges.items())
            if a in members and b in members
        ]
        problems.append(f"cycle among {', '.join(component)}:\n" + "\n".join(inside))
    assert not problems, "\n".join(["import cycles:", *problems])


def test_the_product_never_imports_the_benchmarks() -> None:
    problems = [
        f"{imp.module} imports {imp.target}: {imp.where()}"
        for imp in all_imports()
        if imp.target == "newsweave_bench" or imp.target.startswith("newsweave_bench.")
    ]
    assert not problems, "\n".join(["the product imports the benchmarks:", *problems])


def test_no_module_is_over_the_line_limit() -> None:
    problems = []
    for folder in (PACKAGE, BENCHMARKS):
        for path in python_files(folder):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                problems.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {MAX_LINES})")
    assert not problems, "\n".join(["modules over the line limit:", *problems])


# The wheel -----------------------------------------------------------------------------------

REQUIRED_DATA = ("newsweave/writing/salience.json", "newsweave/verification/verify_model.json")


def test_the_wheel_ships_the_product_without_the_benchmarks(tmp_path: Path) -> None:
    """`pip install newsweave` gets no benchmark code, and the data files briefs need.

    The wheel is built offline, without build isolation, from a copy of the project's
    pyproject.toml, README.md and src/ (so the build leaves nothing in the working tree).
    """
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        (project / name).write_bytes((ROOT / name).read_bytes())
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(PACKAGE, project / "src" / "newsweave", ignore=caches)
    out = tmp_path / "wheel"
    command = [
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--quiet", "--wheel-dir", str(out), str(project),
    ]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)
    wheels = sorted(out.glob("newsweave-*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        pytest.fail(f"building the wheel failed ({' '.join(command)}):\n{built.stderr}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    problems = []
    for name in names:
        top = name.split("/")[0]
        stem = Path(name).name
        if "newsweave_bench" in name.split("/"):
            problems.append(f"{name}: benchmark code in the wheel")
        elif stem.startswith("evaluate") and stem.endswith(".py"):
            problems.append(f"{name}: a benchmark module (evaluate*) in the wheel")
        elif top != "newsweave" and not (
            top.startswith("newsweave-") and top.endswith(".dist-info")
        ):
            problems.append(f"{name}: outside the newsweave package")
    problems += [f"{name}: missing from the wheel" for name in REQUIRED_DATA if name not in names]
    assert not problems, "\n".join([f"the wheel {wheels[0].name}:", *problems])
