"""The staff intake (issue 18): a cadre or coordinator records a case met in the field, in chat.

Entered by `/lapor` from a linked kader or koordinator kecamatan, or their menu's "Catat kasus"
button (option `i:start`); "Sebagai warga" at the first question leads to the resident's flow.
"""

from handlers.intake.flow import START_OPTION, prompt_current, start_intake

__all__ = ["START_OPTION", "prompt_current", "start_intake"]
