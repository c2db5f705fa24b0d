"""Package layers (DESIGN.md §3): imports only point down, and reporting never touches networks.

Read from the source with ``ast`` (nothing is imported): every import statement counts, also those
inside functions.
"""
import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# higher imports lower; equal ranks may import each other
RANK = {"config": 0, "utils": 0, "data": 1, "diffusion": 2, "nets": 3, "artifacts": 3.5, "train": 4, "eval": 5,
        "report": 6, "params_view": 7, "command_spec": 7, "command_policy": 7, "command_steps": 7, "commands": 7, "preflight": 7,
        "cli": 7}
REPORT_MAY_NOT_IMPORT = ("torch", "diffae.nets", "diffae.diffusion", "diffae.eval.codecs", "diffae.artifacts",
                         "diffae.train")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "diffae").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Absolute names of every module an import statement in the file names (``from a import b`` -> a.b too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _resolved(targets: set[str], modules: dict[str, Path]) -> set[str]:
    """Each diffae target as the longest module name it starts with (``a.b.func`` -> ``a.b``)."""
    out = set()
    for t in targets:
        parts = t.split(".")
        known = [".".join(parts[:k]) for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in modules]
        out.add(known[0] if known else t)
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "diffae" and parts[1] in RANK else None


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_every_module_has_a_layer():
    unranked = sorted({name.split(".")[1] for name in _modules() if "." in name} - set(RANK))
    assert not unranked, f"modules of no layer (add them to RANK): {unranked}"


def test_no_import_runs_up_a_layer():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        src = _layer(name)
        for target in _resolved(_imports(name, path), modules):
            dst = _layer(target)
            if src and dst and RANK[dst] > RANK[src]:
                upward.append(f"{name} ({src}) -> {target} ({dst})")
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(upward))


def test_report_modules_import_no_networks():
    modules = _modules()
    report = {n: p for n, p in modules.items() if _within(n, "diffae.report")}
    assert len(report) > 5
    bad = [f"{name} -> {target}" for name, path in report.items()
           for target in _resolved(_imports(name, path), modules)
           if any(_within(target, banned) for banned in REPORT_MAY_NOT_IMPORT)]
    assert not bad, "report modules that import networks or torch:\n" + "\n".join(sorted(bad))


def test_report_modules_do_not_reach_torch_through_other_modules():
    """What a report module imports from diffae (and what that imports, packages included) needs no torch."""
    modules = _modules()
    for start in (n for n in modules if _within(n, "diffae.report")):
        seen, todo, via = {start}, [start], {start: start}
        while todo:
            name = todo.pop()
            for target in _imports(name, modules[name]):
                assert not _within(target, "torch"), f"{start} reaches torch: {via[name]} -> {target}"
                parts = target.split(".")
                for k in range(2, len(parts) + 1):  # the packages executed on the way, then the module
                    mod = ".".join(parts[:k])
                    if mod in modules and mod not in seen:
                        seen.add(mod)
                        via[mod] = f"{via[name]} -> {mod}"
                        todo.append(mod)
