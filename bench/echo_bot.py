"""The baseline bot: python-telegram-bot's own echo bot, nothing else (run as its own process).

python -m bench.echo_bot API_URL TOKEN
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


def main(argv: list[str]) -> int:
    api_url, token = argv[0], argv[1]
    application = Application.builder().token(token).base_url(api_url).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
