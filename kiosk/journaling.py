"""Runs the flow's ``JournalRecord`` commands against the durable journal."""

from __future__ import annotations

from kiosk.flow.commands import JournalRecord
from offline_queue.journal import Entry, Journal


def write(journal: Journal, record: JournalRecord) -> Entry:
    """Append ``record``; returns once it is on disk (and in the outbox if a transaction)."""
    return journal.append(
        record.kind.value,
        str(record.session) if record.session else None,
        record.data,
        str(record.transaction) if record.transaction else None,
    )
