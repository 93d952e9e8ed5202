"""The staff intake's questions and answers (issue 18); the case fields' words are bot/vocabulary's.

Written for a cadre who met a case in the field, in as few actions as the resident's flow or
fewer: a category press goes straight on (several are typed, or chosen after "Lebih dari satu"),
the victim's sex and disability are one question, the kelurahan is the cadre's own and typing the
RT/RW confirms it, how the cadre was told and whether that person may be contacted are one
question, and the source's name and phone are typed at the summary.
"""

from __future__ import annotations

from bot.cases import vocabulary
from bot.core.i18n import N_

FLOW = "intake"
PREFIX = "i"
SKIP = "-"
DONE = "ok"
MULTI = "multi"
AS_RESIDENT = "warga"
OWN = "own"  # the kelurahan shown, confirmed without an RT/RW
OTHER = "other"  # another kelurahan of the kecamatan
SELF = "self"  # a coordinator keeps the case

STEPS = (
    "danger",
    "cat",
    "age",
    "sex",
    "kelpick",
    "kel",
    "when",
    "desc",
    "place",
    "rel",
    "teller",
    "how",
    "assign",
    "summary",
)
# Someone in danger now: the case is recorded in short, like the resident's.
SHORT_VERSION_SKIPS = frozenset({"when", "place", "rel"})
OPTIONAL_STEPS = frozenset({"when", "desc", "place", "rel"})

DANGER = {
    "y": N_("Ya, bahaya sekarang"),
    "n": N_("Tidak sekarang"),
    AS_RESIDENT: N_("Sebagai warga"),
}
CATEGORIES = vocabulary.CATEGORIES.answers()
AGE_GROUPS = vocabulary.AGE_GROUPS.answers()
WHEN = vocabulary.WHEN.answers()
PLACES = vocabulary.PLACES.answers()
RELATIONS = vocabulary.RELATIONS.answers()
TELLERS = vocabulary.SOURCE_TELLERS.answers()
# Sex and the disability flag in one press: value -> (sex code, disability).
SEX_DISABILITY: dict[str, tuple[str, bool | None]] = {
    "p": ("p", False),
    "l": ("l", False),
    "pd": ("p", True),
    "ld": ("l", True),
    "unk": ("unk", None),
}
SEX_LABELS = {
    "p": N_("Perempuan"),
    "l": N_("Laki-laki"),
    "pd": N_("Perempuan, disabilitas"),
    "ld": N_("Laki-laki, disabilitas"),
    "unk": N_("Tidak tahu"),
}
# How the cadre was told, and whether that person agreed to be contacted: value -> (means, consent).
HOW: dict[str, tuple[str, str]] = {
    "ly": ("langsung", "y"),
    "ln": ("langsung", "n"),
    "ty": ("telepon", "y"),
    "tn": ("telepon", "n"),
}
HOW_LABELS = {
    "ly": N_("Bertemu, boleh dikontak"),
    "ln": N_("Bertemu, jangan dikontak"),
    "ty": N_("Telepon, boleh dikontak"),
    "tn": N_("Telepon, jangan dikontak"),
}
SUMMARY_ACTIONS = {
    "save": N_("✅ Simpan kasus"),
    "edit": N_("✏️ Ubah"),
    "cancel": N_("✖️ Batalkan"),
}
# The summary's edit menu: field -> (step to ask, label).
EDITABLE = {
    "cat": ("cat", N_("Bentuk kekerasan")),
    "victim": ("age", N_("Usia/kelamin korban")),
    "area": ("kelpick", N_("Kelurahan dan RT/RW")),
    "when": ("when", N_("Waktu kejadian")),
    "desc": ("desc", N_("Cerita kejadian")),
    "place": ("place", N_("Tempat kejadian")),
    "rel": ("rel", N_("Hubungan pelaku")),
    "source": ("teller", N_("Sumber informasi")),
}
TYPED_ALIASES = {"simpan": "save", "ubah": "edit", "batal": "cancel", "kirim": "save"}
