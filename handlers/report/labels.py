"""The answers the report flow offers: stored value -> Indonesian label (msgid), in SIMFONI-PPA terms."""

from __future__ import annotations

from bot.evidence_rules import MAX_FILES
from bot.i18n import N_

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
    "contact",
    "summary",
)
ALL_STEPS = frozenset((*STEPS, "edit"))
# Someone in danger now gets the short version: these are not asked.
SHORT_VERSION_SKIPS = frozenset({"when", "place", "rel", "role"})
# From here on every question may be skipped (DESIGN: "every question past the location").
OPTIONAL_STEPS = frozenset({"loc", "when", "desc", "place", "rel", "role", "contact"})
# Steps that offer "straight to the summary".
SUMMARY_SHORTCUT_STEPS = frozenset({"when", "desc", "place", "rel", "role"})

DANGER = {"y": N_("Ya, ada bahaya sekarang"), "n": N_("Tidak sekarang")}

CATEGORIES = {
    "fisik": N_("Kekerasan fisik"),
    "psikis": N_("Kekerasan psikis"),
    "seksual": N_("Kekerasan seksual"),
    "eksploitasi": N_("Eksploitasi"),
    "tppo": N_("Perdagangan orang (TPPO)"),
    "penelantaran": N_("Penelantaran"),
    "perundungan": N_("Perundungan (bullying)"),
    "perkawinan_anak": N_("Perkawinan anak"),
    "lainnya": N_("Lainnya"),
}

AGE_GROUPS = {
    "0-5": N_("0–5 tahun"),
    "6-12": N_("6–12 tahun"),
    "13-17": N_("13–17 tahun"),
    "18-24": N_("18–24 tahun"),
    "25-44": N_("25–44 tahun"),
    "45-59": N_("45–59 tahun"),
    "60+": N_("60 tahun ke atas"),
    "unk": N_("Tidak tahu"),
}

SEXES = {"p": N_("Perempuan"), "l": N_("Laki-laki"), "unk": N_("Tidak tahu")}

WHEN = {
    "today": N_("Hari ini"),
    "yesterday": N_("Kemarin"),
    "week": N_("Minggu ini"),
    "older": N_("Lebih lama"),
    "ongoing": N_("Masih berlangsung"),
}

PLACES = {
    "rumah_tangga": N_("Rumah tangga"),
    "sekolah": N_("Sekolah"),
    "fasilitas_umum": N_("Fasilitas umum"),
    "tempat_kerja": N_("Tempat kerja"),
    "lainnya": N_("Lainnya"),
}

RELATIONS = {
    "orang_tua": N_("Orang tua"),
    "keluarga": N_("Keluarga/saudara"),
    "pasangan": N_("Suami/istri"),
    "pacar_teman": N_("Pacar/teman"),
    "tetangga": N_("Tetangga"),
    "guru": N_("Guru"),
    "majikan": N_("Majikan"),
    "lainnya": N_("Lainnya"),
    "tidak_tahu": N_("Tidak tahu"),
}

REPORTER_ROLES = {
    "korban": N_("Saya korban"),
    "keluarga": N_("Keluarga"),
    "tetangga_saksi": N_("Tetangga/saksi"),
    "guru_nakes": N_("Guru/tenaga kesehatan"),
    "lainnya": N_("Lainnya"),
}

CONTACT = {"y": N_("Boleh dihubungi lewat bot"), "n": N_("Tetap anonim")}

SUMMARY_ACTIONS = {
    "send": N_("✅ Kirim laporan"),
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
    "contact": ("contact", N_("Boleh dihubungi atau anonim")),
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
    "summary": {"kirim": "send", "send": "send", "ubah": "edit", "edit": "edit", "batal": "cancel"},
}
SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "lanjut", "-", "tidak ada", "tidak tahu"})
DONE_WORDS = frozenset({"lanjut", "selesai", "ok", "oke", "done", "next", "sudah"})

# Limits that keep a draft small and a message readable.
MAX_DESCRIPTION = 2000
MAX_LOCATION_DETAIL = 300
MAX_EVIDENCE = MAX_FILES  # bot/evidence_rules.py: the stated limit
AREA_PAGE_SIZE = 8
