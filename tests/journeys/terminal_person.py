"""A person at `patbm chat --demo`: reads what the bot printed, answers by the label shown.

The chat prints `who> ` when it waits for a line; the person reads everything up to that
prompt, finds the number next to the label they want (never a hard-coded number) and types it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMPT = re.compile(r"\n([a-z0-9]+)> $")
OPTION = re.compile(r"^ {3}(\d+)\. (.+)$", re.MULTILINE)
WAIT = 120.0  # generous bound on one answer; never a timing assertion


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATBM_")}
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(home)
    return env


class TerminalPerson:
    def __init__(self, folder: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.cli", "chat", "--demo", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=folder,
            env=clean_env(folder),
            text=True,
            encoding="utf-8",
            bufsize=0,
        )
        self._chars: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.transcript = ""
        self.screen = ""  # what was printed since the last answer
        self.who = ""

    def _pump(self) -> None:
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read(1):
            self._chars.put(chunk)
        self._chars.put("")

    def read(self) -> str:
        """Everything up to the next prompt; the speaker's name is kept in `who`."""
        seen = ""
        while True:
            try:
                char = self._chars.get(timeout=WAIT)
            except queue.Empty as exc:
                raise AssertionError(f"no prompt; the screen so far:\n{seen}") from exc
            if char == "":
                raise AssertionError(f"the chat ended; the screen so far:\n{seen}")
            seen += char
            match = PROMPT.search(seen)
            if match:
                self.who = match.group(1)
                self.screen = seen[: match.start()]
                self.transcript += seen
                return self.screen

    def options(self) -> dict[str, int]:
        """The last numbered list on the screen: label -> number."""
        block = self.screen.rsplit("🤖", 1)[-1]
        return {label.strip(): int(number) for number, label in OPTION.findall(block)}

    def number_of(self, wanted: str) -> int:
        """The number next to the label that holds `wanted` (one label only)."""
        hits = [n for label, n in self.options().items() if wanted.lower() in label.lower()]
        assert len(hits) == 1, f"{wanted!r} among {self.options()}"
        return hits[0]

    def type(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        self.transcript += line + "\n"
        return self.read()

    def choose(self, label: str) -> str:
        return self.type(str(self.number_of(label)))

    def quit(self) -> tuple[int, str]:
        assert self.process.stdin is not None
        self.process.stdin.close()
        rest = ""
        while (char := self._chars.get(timeout=WAIT)) != "":
            rest += char
        err = self.process.stderr.read() if self.process.stderr else ""
        code = self.process.wait(timeout=WAIT)
        self.transcript += rest
        return code, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(OSError):
                    pipe.close()
