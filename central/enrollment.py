"""One-time enrollment codes: one for a kiosk, or a district's batch at once.

A code is stored hashed; the kiosk trades it for its own credential once
(``POST /api/v1/enroll``)."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Engine, insert, select

from central.auth import token_hash
from central.db import enrollment_codes, kiosks

MAX_BATCH = 100_000
WIDTH = 5  # P-00001: ids sort as they number


def new_enrollment_code(engine: Engine, kiosk_id: str, group: str = "default") -> str:
    code = secrets.token_hex(8)
    with engine.begin() as conn:
        conn.execute(
            insert(enrollment_codes).values(
                code_hash=token_hash(code), kiosk_id=kiosk_id, group_name=group
            )
        )
    return code


def enroll_batch(
    engine: Engine, count: int, prefix: str, group: str = "default"
) -> list[tuple[str, str]]:
    """``count`` new kiosk ids under ``prefix`` (numbered on from the highest
    already issued under it, as a kiosk or a code) and a code for each, all
    stored in one database transaction: (kiosk id, code) pairs."""
    if not 1 <= count <= MAX_BATCH:
        raise ValueError(f"--count: 1 to {MAX_BATCH}, not {count}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", prefix):
        raise ValueError(f"--prefix: letters, digits, - and _ (up to 41), not {prefix!r}")
    number = re.compile(re.escape(prefix) + r"([0-9]+)")
    with engine.begin() as conn:
        issued = [
            *conn.scalars(
                select(kiosks.c.id).where(kiosks.c.id.startswith(prefix, autoescape=True))
            ),
            *conn.scalars(
                select(enrollment_codes.c.kiosk_id).where(
                    enrollment_codes.c.kiosk_id.startswith(prefix, autoescape=True)
                )
            ),
        ]
        highest = max((int(m.group(1)) for i in issued if (m := number.fullmatch(i))), default=0)
        made = [
            (f"{prefix}{n:0{WIDTH}d}", secrets.token_hex(8))
            for n in range(highest + 1, highest + 1 + count)
        ]
        conn.execute(
            insert(enrollment_codes),
            [{"code_hash": token_hash(code), "kiosk_id": kiosk, "group_name": group}
             for kiosk, code in made],
        )  # fmt: skip
    return made
