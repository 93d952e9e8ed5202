"""Where a py-spy speedscope profile's samples go: inclusive share per function and per file.

    python -m bench.profile_summary bench/results/<file>.speedscope.json [--top 40]

Shares are of all samples of all threads (py-spy counts a thread waiting for the GIL as busy;
a profile taken with PATBM_BENCH_PROFILE_GIL=1 has only the thread holding it: Python CPU).
The last table, "library", gives each sample to the innermost frame of a known library (or of
the project), so the shares add up to 100 % and say whose code the CPU was spent in.
SQLAlchemy's async layer runs each statement in a greenlet, so py-spy sees those stacks from the
greenlet up: the ORM and driver time shows up under `greenlet_spawn`, not under the bot's caller.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any


def _where(frame: dict[str, Any]) -> str:
    path = str(frame.get("file", ""))
    for marker in ("site-packages/", "/bench/", "/bot/", "/handlers/", "/models/"):
        if marker in path:
            path = (marker.strip("/") + "/" if marker != "site-packages/" else "") + path.split(
                marker, 1
            )[1]
            break
    return path


# Path fragments of the libraries the flow runs through, checked in this order.
LIBRARIES = (
    ("sqlalchemy", "sqlalchemy/"),
    ("aiosqlite", "aiosqlite/"),
    ("asyncpg", "asyncpg/"),
    ("python-telegram-bot", "telegram/"),
    ("httpx", "httpx/"),
    ("httpcore", "httpcore/"),
    ("h11", "h11/"),
    ("anyio", "anyio/"),
    ("starlette", "starlette/"),
    ("uvicorn", "uvicorn/"),
    ("cryptography", "cryptography/"),
    ("babel", "babel/"),
    ("prometheus_client", "prometheus_client/"),
    ("json", "/json/"),
    ("logging", "/logging/"),
    ("asyncio", "/asyncio/"),
    ("threading", "threading.py"),
    ("selectors", "selectors.py"),
    ("handlers/", "/handlers/"),
    ("bot/", "/bot/"),
    ("models/", "/models/"),
)


def library_of(frames: list[dict[str, Any]], stack: list[int]) -> str:
    for index in reversed(stack):
        path = str(frames[index].get("file", ""))
        for name, marker in LIBRARIES:
            if marker in path:
                return name
    return "other"


def by_library(document: dict[str, Any]) -> Counter[str]:
    frames = document["shared"]["frames"]
    shares: Counter[str] = Counter()
    for profile in document["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            shares[library_of(frames, stack)] += weight
    return shares


def summarise(document: dict[str, Any]) -> tuple[float, Counter[str], Counter[str], Counter[str]]:
    frames = document["shared"]["frames"]
    total = 0.0
    functions: Counter[str] = Counter()
    own: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for profile in document["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            total += weight
            names = {f"{frames[i]['name']} ({_where(frames[i])})" for i in stack}
            for name in names:
                functions[name] += weight
            for where in {_where(frames[i]) for i in stack}:
                files[where] += weight
            if stack:
                top = frames[stack[-1]]
                own[f"{top['name']} ({_where(top)})"] += weight
    return total, functions, own, files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    document = json.loads(args.profile.read_text())
    total, functions, own, files = summarise(document)
    tables = (
        ("inclusive", functions),
        ("self", own),
        ("file", files),
        ("library", by_library(document)),
    )
    for title, counter in tables:
        print(f"--- {title} (share of {total:.1f} s of samples)")
        for name, weight in counter.most_common(args.top):
            print(f"{100 * weight / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
