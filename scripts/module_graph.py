"""The module graph of gapmap: each module's floor, the imports that point back up, and the largest module.

A module's floor is 1 + the highest floor among the gapmap modules it imports (a module that imports no
other gapmap module is on floor 1; a cycle shares one floor). An import points *back up* when it goes
from a lower layer of ARCHITECTURE.md to a higher one. Run from the repository root:

    uv run python scripts/module_graph.py [PATH_TO_A_CHECKOUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

#: The layers, bottom first, by module prefix (old flat names are placed where their code now lives).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("gapmap.errors", "gapmap.config", "gapmap.schema", "gapmap.measures", "gapmap.glossary")),
    ("sources", ("gapmap.sources", "gapmap.datasets")),
    ("metrics", ("gapmap.metrics",)),
    ("analysis", ("gapmap.analysis", "gapmap.ranking", "gapmap.simulate", "gapmap.siting")),
    ("regions", ("gapmap.regions", "gapmap.equity", "gapmap.compare")),
    ("outputs", ("gapmap.outputs", "gapmap.export", "gapmap.report", "gapmap.viz")),
    ("entry points", ("gapmap.ui", "gapmap.cli")),
)


def layer_of(module: str) -> int:
    for i, (_name, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return -1  # the root package


def main(root: Path) -> None:
    sys.path.insert(0, str(root))
    graph = grimp.build_graph("gapmap", cache_dir=None)
    modules = sorted(m for m in graph.modules if m != "gapmap")
    deps = {m: {d for d in graph.find_modules_directly_imported_by(m) if d != "gapmap" and d != m} for m in modules}
    floor: dict[str, int] = {}

    def floor_of(m: str, stack: frozenset[str] = frozenset()) -> int:
        if m in floor:
            return floor[m]
        if m in stack:
            return 0
        floor[m] = 1 + max((floor_of(d, stack | {m}) for d in deps[m]), default=0)
        return floor[m]

    for m in modules:
        floor_of(m)
    up = [(m, d) for m in modules for d in deps[m] if layer_of(m) < layer_of(d)]
    # the independent packages of one layer (ui | cli, outputs | viz) may not import each other either
    top = {m: ".".join(m.split(".")[:2]) for m in modules}
    across = [
        (m, d)
        for m in modules
        for d in deps[m]
        if layer_of(m) == layer_of(d)
        and LAYERS[layer_of(m)][0] in ("outputs", "entry points")
        and top[m] != top[d]
        and {top[m], top[d]} & {"gapmap.ui", "gapmap.cli", "gapmap.viz"}
    ]
    up += across
    sizes = {
        m: len((root / (m.replace(".", "/") + ".py")).read_text().splitlines()) if (root / (m.replace(".", "/") + ".py")).exists() else 0
        for m in modules
    }
    largest = max(sizes, key=lambda m: sizes[m])
    print(f"{len(modules)} modules, {sum(len(v) for v in deps.values())} imports, {max(floor.values())} floors")
    for m in modules:
        if m.startswith("gapmap.sources") or m.startswith("gapmap.datasets"):
            print(f"  intake {m}: floor {floor[m]}")
    print(f"imports back up the layers: {len(up)}")
    for m, d in up:
        print(f"  {m} -> {d}")
    print(f"largest module: {largest} ({sizes[largest]} lines)")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path.cwd())
