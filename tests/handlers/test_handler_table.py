"""The one handler table: every name listed once, nothing registered behind its back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.core.app import App
from handlers.base import ButtonPrefix, Command, DuplicateHandler, Flow, HandlerTable, Turn
from handlers.router import HANDLERS, build_table
from tests.support.casework_fixtures import build_world
from tests.support.chat import Chat

HANDLERS_DIR = Path(__file__).resolve().parents[2] / "handlers"
# "/status" in a sentence, not part of a path or a URL.
COMMAND_WORD = re.compile(r"(?<![\w/.:])/[a-z]+\b(?![/.\w])")


async def other(turn: Turn) -> None: ...


def test_a_command_listed_twice_is_refused_whatever_its_case() -> None:
    with pytest.raises(DuplicateHandler, match="'/status'"):
        build_table(Command(other, "/STATUS"))


def test_a_button_prefix_or_a_flow_listed_twice_is_refused() -> None:
    with pytest.raises(DuplicateHandler, match="button prefix 'k'"):
        build_table(ButtonPrefix(other, "k"))
    with pytest.raises(DuplicateHandler, match="flow 'report'"):
        build_table(Flow(other, "report"))


def test_the_same_handler_listed_twice_is_refused_too() -> None:
    with pytest.raises(DuplicateHandler, match="uji-dua-kali"):
        HandlerTable.of(Command(other, "/uji-dua-kali"), Command(other, "/uji-dua-kali"))


def test_the_table_cannot_be_changed_once_built() -> None:
    with pytest.raises(TypeError):
        HANDLERS.commands["/baru"] = other  # type: ignore[index]
    with pytest.raises(TypeError):
        HANDLERS.flows["baru"] = other  # type: ignore[index]
    assert HANDLERS.staff_commands == {"/kasus", "/libur", "/aktif", "/ringkasan"}


def test_every_command_the_handlers_mention_is_in_the_table() -> None:
    mentioned: dict[str, str] = {}
    for path in sorted(HANDLERS_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for word in COMMAND_WORD.findall(node.value):
                    mentioned.setdefault(word, path.name)
    assert "/bantuan" in mentioned  # the scan reads what it should
    assert {word: where for word, where in mentioned.items() if word not in HANDLERS.commands} == {}


@pytest.mark.parametrize("language", ["id", "en"])
async def test_every_command_in_the_help_is_in_the_table(app: App, language: str) -> None:
    world = await build_world(app)
    resident, kader = Chat(app, user_id="9001"), Chat(app, user_id=world.chats[world.kader_a])
    named: set[str] = set()
    for chat in (resident, kader):
        await chat.text(f"/bahasa {language}")
        await chat.text("/bantuan")
        named |= set(COMMAND_WORD.findall(chat.texts))
    assert {"/lapor", "/status", "/kasus"} <= named
    assert named - HANDLERS.commands.keys() == set()


def test_no_handler_module_keeps_an_empty_registry_to_fill() -> None:
    # A module-level {} / [] / set() in handlers/ is a registry filled at import time.
    found = []
    for path in sorted(HANDLERS_DIR.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            empty = isinstance(value, ast.Dict | ast.List | ast.Set) and not (
                value.keys if isinstance(value, ast.Dict) else value.elts
            )
            made = isinstance(value, ast.Call) and ast.unparse(value.func) in {
                "dict",
                "set",
                "list",
            }
            if empty or made:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
