"""Reply.to_json is written by hand for speed: it must stay what dataclasses.asdict gives."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from bot.messaging.messages import Media, Option, Reply


def _full() -> Reply:
    return Reply(
        text="Laporan diterima",
        options=(Option("a:1", "Terima"), Option("a:2", "Tolak", "Alihkan ke kader lain")),
        request_contact=True,
        edit_message_id="42",
        media=Media("photo", "chart.png", "aGVsbG8=", "image/png", 5),
        footer="PATBM",
        extra={"reask": True, "nested": {"page": 2}},
    )


def test_to_json_has_every_field_of_reply_and_media() -> None:
    data = _full().to_json()
    assert set(data) == {f.name for f in fields(Reply)}
    assert set(data["media"]) == {f.name for f in fields(Media)}
    assert set(data["options"][0]) == {f.name for f in fields(Option)}


def test_to_json_is_asdict_as_json() -> None:
    for reply in (_full(), Reply("Halo")):
        assert json.loads(json.dumps(reply.to_json())) == json.loads(json.dumps(asdict(reply)))
        assert Reply.from_json(reply.to_json()) == reply


def test_to_json_copies_extra() -> None:
    reply = _full()
    data = reply.to_json()
    data["extra"]["nested"]["page"] = 9
    assert reply.extra["nested"]["page"] == 2
