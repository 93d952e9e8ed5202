"""Which errors retrying can fix: the one table the inbox and the outbox both read.

A *permanent* error comes from the input itself (a latitude of "abc", a chat id that is not a
number, a value the database refuses): the same row fails the same way every time, so it is set
aside on the first try (inbox: `rejected`; outbox: `failed`, with its case event) and never holds
back the chat's next row. A *transient* error comes from around the input (the database went
away, a network time-out, a race with another instance): it is retried, a bounded number of
times. An error the table does not name is treated as transient: retried within the bound, as
before this table existed, since we cannot tell that retrying will not help.

The table is ordered, most specific first: SQLAlchemy's DataError and IntegrityError are
DBAPIErrors too, and UnicodeError is a ValueError.
"""

from __future__ import annotations

from typing import Literal

import httpx
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.orm.exc import StaleDataError

Verdict = Literal["permanent", "transient"]

PERMANENT: Verdict = "permanent"
TRANSIENT: Verdict = "transient"

FAILURES: tuple[tuple[type[BaseException], Verdict], ...] = (
    # Another instance changed the same conversation, or two first messages raced.
    (StaleDataError, TRANSIENT),
    (IntegrityError, TRANSIENT),
    # The database refuses the value itself (too long, out of range, bad encoding).
    (DataError, PERMANENT),
    # The database is down, restarting, or dropped the connection.
    (OperationalError, TRANSIENT),
    (InterfaceError, TRANSIENT),
    (DBAPIError, TRANSIENT),
    # The network, ours or the platform's.
    (TimeoutError, TRANSIENT),
    (httpx.TransportError, TRANSIENT),
    (OSError, TRANSIENT),
    # The input: parsing and validating what a client sent, or what we stored from it.
    (RecursionError, PERMANENT),
    (ValueError, PERMANENT),
    (KeyError, PERMANENT),
    (IndexError, PERMANENT),
    (TypeError, PERMANENT),
    (AttributeError, PERMANENT),
    (ArithmeticError, PERMANENT),
)


def _data_exception(exc: DBAPIError) -> bool:
    """PostgreSQL's class 22 (data exception: a value too long, out of range): asyncpg's
    errors reach SQLAlchemy as a plain DBAPIError, with the driver's own error as the cause."""
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(code, str) and code.startswith("22"):
            return True
    return False


def classify(exc: BaseException) -> Verdict:
    """PERMANENT when retrying the same row cannot succeed; TRANSIENT otherwise."""
    if isinstance(exc, DBAPIError) and not exc.connection_invalidated and _data_exception(exc):
        return PERMANENT
    if not isinstance(exc, DBAPIError) and isinstance(exc, StatementError) and exc.orig:
        # Raised before the database saw the statement (binding a parameter): what it wraps.
        return classify(exc.orig)
    for kind, verdict in FAILURES:
        if isinstance(exc, kind):
            return verdict
    return TRANSIENT


def is_permanent(exc: BaseException) -> bool:
    return classify(exc) == PERMANENT
