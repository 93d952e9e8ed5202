"""The staff side in chat: cadres, coordinators and the Dinas work their cases (issue 5).

Its commands (`/kasus`, `/libur`, `/aktif`, `/ringkasan`), the case buttons (option prefix `k`)
and the typed-input flow (`staff_input`) are listed in handlers.router.build_table().
"""

from handlers.staff import buttons, commands, inputs

__all__ = ["buttons", "commands", "inputs"]
