"""The layout's rules (DESIGN.md, "Layout"): core names no domain, the top-level packages import
each other without cycles (app.py, the composition root, wires them), and no module imports
another module's private names."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()
                  and p.name not in ("tests", "bench", "migrations"))
DOMAINS = set(PACKAGES) - {"core"}


def _imports(path: Path):
    """(imported module, names) of every import statement in a file, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _package_graph() -> dict[str, set[str]]:
    graph = {name: set() for name in PACKAGES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for module, _names in _imports(path):
                top = module.split(".")[0]
                if top in graph and top != package:
                    graph[package].add(top)
    return graph


def _cycle(graph) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_packages_are_the_ones_the_design_names():
    assert {"core", "members", "stores", "points", "mall", "tasks", "wx"} <= set(PACKAGES)


def test_core_imports_no_domain_package():
    offenders = [f"{path.relative_to(ROOT)} imports {module}"
                 for path in (ROOT / "core").rglob("*.py")
                 for module, _ in _imports(path)
                 if module.split(".")[0] in DOMAINS | {"app"}]
    assert offenders == []


def test_no_import_cycle_between_top_level_packages():
    graph = _package_graph()
    assert _cycle(graph) is None, " → ".join(_cycle(graph))


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_name_is_imported_from_another_module():
    offenders = []
    for package in PACKAGES + ["tests", "bench"]:
        for path in (ROOT / package).rglob("*.py"):
            for module, names in _imports(path):
                if module.split(".")[0] in PACKAGES:
                    offenders += [f"{path.relative_to(ROOT)}: {module}.{n}"
                                  for n in names if n.startswith("_")]
    assert offenders == []


def test_the_points_ledger_is_used_through_its_public_api():
    """Other domains call points.ledger's __init__, not its inner modules."""
    offenders = []
    for package in DOMAINS - {"points"}:
        for path in (ROOT / package).rglob("*.py"):
            offenders += [f"{path.relative_to(ROOT)} imports {module}"
                          for module, _ in _imports(path)
                          if module.startswith("points.ledger.")
                          and module.split(".")[2] not in ("models", "kinds")]
    assert offenders == []
