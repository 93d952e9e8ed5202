"""The packages keep their layers: imports run one way, with no cycle and no importlib.

Each package of `bot/` has a floor; a module may import its own floor and those below, never
above (see bot/__init__.py). Read from the source, as text, so a violation fails here before
anyone has to draw the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {
    # Encrypted columns (models/base.py) need the key ring, and nothing else of core.
    "bot.core.crypto": 0,
    "models": 1,
    "bot.core": 2,
    "bot.messaging": 3,
    "bot.cases": 4,
    "bot.evidence": 5,
    "bot.casework": 6,
    "bot.escalation": 6,
    "bot.reporting": 7,
    "bot.admin": 7,
    "handlers": 8,
    "bot.channels": 9,
    "bot.runtime": 10,
}
# Channel adapters translate between a platform and our neutral types: what a message means for
# a case is reached through hooks the composition root (bot/runtime/) wires, never imported.
NOT_FROM_CHANNELS = ("bot.casework", "bot.escalation", "bot.evidence", "bot.reporting", "handlers")
# Imports inside a function are allowed only here: the CLI's commands load what they need when
# run, so that `patbm --help` and each command start fast. Nowhere to dodge a cycle.
LAZY_ALLOWED = ("bot.runtime",)


def _floor(module: str) -> int | None:
    for prefix in sorted(FLOORS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return FLOORS[prefix]
    return None


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for folder in ("bot", "handlers", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), ast.parse(path.read_text())))
    return found


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(module imported, whether inside a function) for every import of the project's own."""
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.col_offset > 0))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.col_offset > 0) for alias in node.names]
    return [(m, lazy) for m, lazy in found if _floor(m) is not None]


def test_every_module_has_a_floor() -> None:
    assert all(_floor(name) is not None for name, _ in _modules() if name != "bot")


def test_imports_point_down_only() -> None:
    upward = []
    for name, tree in _modules():
        mine = _floor(name)
        for target, _lazy in _imports(tree):
            theirs = _floor(target)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_channel_adapters_do_not_import_the_domain_services() -> None:
    domain = [
        f"{name} -> {target}"
        for name, tree in _modules()
        if name.startswith("bot.channels")
        for target, _lazy in _imports(tree)
        if target.startswith(NOT_FROM_CHANNELS)
    ]
    assert domain == []


def test_no_lazy_imports_to_dodge_a_cycle_and_no_importlib() -> None:
    lazy = [
        f"{name} -> {target}"
        for name, tree in _modules()
        for target, inside in _imports(tree)
        if inside and not name.startswith(LAZY_ALLOWED)
    ]
    assert lazy == []
    assert not [name for name, tree in _modules() if "importlib" in ast.dump(tree)]
