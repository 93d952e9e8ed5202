"""Where a py-spy speedscope profile's samples go: inclusive share per function and per file.

    python -m bench.profile_summary bench/results/<file>.speedscope.json [--top 40]

Shares are of all samples of all threads (py-spy counts a thread waiting for the GIL as busy).
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
    total, functions, own, files = summarise(json.loads(args.profile.read_text()))
    for title, counter in (("inclusive", functions), ("self", own), ("file", files)):
        print(f"--- {title} (share of {total:.1f} s of samples)")
        for name, weight in counter.most_common(args.top):
            print(f"{100 * weight / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
