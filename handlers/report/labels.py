"""The report flow's questions, answers and limits; the case fields' words come from bot/vocabulary."""

from __future__ import annotations

from bot.cases import vocabulary
from bot.core.i18n import N_
from bot.evidence.rules import MAX_FILES

FLOW = "report"
PREFIX = "r"
SKIP = "-"
TO_SUMMARY = ">"
DONE = "ok"

# The order of the questions. "edit" is the summary's field menu, not a question.
STEPS = (
    "danger",
    "cat",
    "age",
    "sex",
    "kec",
    "kel",
    "loc",
    "when",
    "desc",
    "place",
    "rel",
    "role",
    "summary",
)
ALL_STEPS = frozenset((*STEPS, "edit"))
# Someone in danger now gets the short version: these are not asked.
SHORT_VERSION_SKIPS = frozenset({"when", "place", "rel", "role"})
# From here on every question may be skipped (DESIGN: "every question past the location").
OPTIONAL_STEPS = frozenset({"loc", "when", "desc", "place", "rel", "role"})
# Steps that offer "straight to the summary".
SUMMARY_SHORTCUT_STEPS = frozenset({"loc", "when", "desc", "place", "rel", "role"})
# Steps of older versions, and where a draft stored at one goes on. Whether the reporter may be
# contacted is answered with the summary's send buttons (one action less for every report).
LEGACY_STEPS = {"contact": "summary"}

DANGER = {"y": N_("Ya, ada bahaya sekarang"), "n": N_("Tidak sekarang")}

# The case's fields speak the one vocabulary (bot/cases/vocabulary.py): the resident's wording here.
CATEGORIES = vocabulary.CATEGORIES.answers()
AGE_GROUPS = vocabulary.AGE_GROUPS.answers()
SEXES = vocabulary.SEXES.answers()
WHEN = vocabulary.WHEN.answers()
PLACES = vocabulary.PLACES.answers()
RELATIONS = vocabulary.RELATIONS.answers()
REPORTER_ROLES = vocabulary.REPORTER_ROLES.answers()

CONTACT = {"y": N_("Boleh dihubungi lewat bot"), "n": N_("Tetap anonim")}

# "send" lets staff contact the reporter through the bot; "anon" keeps the report anonymous.
SUMMARY_ACTIONS = {
    "send": N_("✅ Kirim, boleh dihubungi"),
    "anon": N_("✅ Kirim anonim"),
    "edit": N_("✏️ Ubah"),
    "cancel": N_("✖️ Batalkan"),
}

# The summary's edit menu: field -> (first step to ask, label).
EDITABLE = {
    "cat": ("cat", N_("Bentuk kekerasan")),
    "victim": ("age", N_("Usia dan jenis kelamin korban")),
    "area": ("kec", N_("Kecamatan/kelurahan")),
    "loc": ("loc", N_("RT/RW atau patokan")),
    "when": ("when", N_("Waktu kejadian")),
    "desc": ("desc", N_("Cerita kejadian")),
    "place": ("place", N_("Tempat kejadian")),
    "rel": ("rel", N_("Hubungan pelaku")),
    "role": ("role", N_("Peran Anda")),
}

# Answers typed instead of pressing a button ("ya", "tidak") -> the stored value.
TYPED_ALIASES: dict[str, dict[str, str]] = {
    "danger": {
        "ya": "y",
        "iya": "y",
        "y": "y",
        "yes": "y",
        "bahaya": "y",
        "tolong": "y",
        "tidak": "n",
        "tdk": "n",
        "gak": "n",
        "nggak": "n",
        "no": "n",
        "n": "n",
        "bukan": "n",
    },
    "contact": {"ya": "y", "iya": "y", "boleh": "y", "yes": "y", "tidak": "n", "anonim": "n"},
    "sex": {"perempuan": "p", "cewek": "p", "wanita": "p", "laki": "l", "cowok": "l", "pria": "l"},
    # A bare "kirim" is not clear (contact or anonymous?): the buttons are shown again.
    "summary": {"anonim": "anon", "ubah": "edit", "edit": "edit", "batal": "cancel"},
}
SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "lanjut", "-", "tidak ada", "tidak tahu"})
DONE_WORDS = frozenset({"lanjut", "selesai", "ok", "oke", "done", "next", "sudah"})

# Limits that keep a draft small and a message readable.
MAX_DESCRIPTION = 2000
MAX_LOCATION_DETAIL = 300
MAX_EVIDENCE = MAX_FILES  # bot/evidence/rules.py: the stated limit
# Every kecamatan or kelurahan of one parent on one keyboard (Telegram takes 100 buttons; the
# WhatsApp renderer pages its 10-row lists itself): only a kabupaten's longest list of desa is
# paged by the flow.
AREA_PAGE_SIZE = 90
