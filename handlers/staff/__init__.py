"""The staff side in chat: cadres, coordinators and the Dinas work their cases (issue 5).

Importing this package registers its commands (`/kasus`, `/libur`, `/aktif`, `/ringkasan`),
the case buttons (option prefix `k`) and the typed-input flow (`staff_input`).
"""

from handlers.staff import buttons, commands, inputs

__all__ = ["buttons", "commands", "inputs"]
