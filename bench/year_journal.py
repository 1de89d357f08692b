"""A busy kiosk's year of journal: 700,000 records in the real flow's shapes.

The pure pay flow runs cash sessions (a bill paid with notes, some with the
change to the account) and a QR payment now and then; every ``JournalRecord``
command it gives is appended to a real journal through ``kiosk.journaling``
(the hash chain and the outbox as in the kiosk), the clock spread over the
past year; the kiosk restarts every night (recovery writes its checkpoint),
the cashbox is collected every 2,000 sessions, as a collector would, and what
the server has is marked sent. Durability is switched off
while writing (the records are the same; only the fsyncs are skipped), so a
year takes a minute. Made once, then kept in ``var/bench/``.

    python bench/year_journal.py [--records 700000] [--out var/bench/year-journal.db]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.choices import PaymentMethod
from config.loader import load_settings
from config.records import RecordKind
from kiosk.bills import Bill, BillLine
from kiosk.flow import PayFlow
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.journaling import write
from kiosk.ledger import cashbox, collection_record
from kiosk.money import Money
from kiosk.recovery import recover
from offline_queue.journal import Journal

RECORDS = 700_000
DEFAULT = Path("var/bench/year-journal.db")
COLLECT_EVERY = 2000  # sessions between cash collections
RESTART_EVERY = 240  # sessions in a day: the kiosk restarts (and recovers) nightly


def records_in(path: Path) -> int:
    if not path.exists():
        return 0
    with Journal(path) as journal:
        return journal.last_seq


def session_events(session: int) -> list[e.Event]:
    """A customer's events: a bill paid in ¥100 notes (the change to the account),
    or, one session in seven, by WeChat QR."""
    due = Money.of_major(50 + session % 250)
    bill = Bill(
        "electricity", f"33{session % 10**8:08d}", "王*华", (BillLine("电费", "Electricity", due),)
    )
    steps: list[e.Event] = [
        e.StartPressed(), e.ServiceChosen("electricity"),
        e.AccountEntered(bill.account), e.BillFound(bill), e.AmountChosen(due),
    ]  # fmt: skip
    if session % 7 == 0:
        order = f"Q{session:012d}"
        steps += [
            e.MethodChosen(PaymentMethod.WECHAT),
            e.QrOrderCreated(order, f"weixin://wxpay/bizpayurl?pr={order}"),
            e.QrPaid(order),
        ]
    else:
        steps.append(e.MethodChosen(PaymentMethod.CASH))
        for n in range(-(-due.minor // 10000)):
            note = Money(10000)
            steps += [e.NoteEscrowed(note), e.NoteStacked(note, f"id003-year:{session}:{n}")]
    return [*steps, e.ReceiptPrinted(), e.BackPressed()]


def make(path: Path, records: int = RECORDS) -> Path:
    """The journal at ``path`` with at least ``records`` records (made if missing)."""
    if records_in(path) >= records:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / records
    written = 0

    def clock() -> datetime:
        return start + step * written

    settings = load_settings()
    flow = PayFlow(settings)
    journal = Journal(path, clock=clock)
    journal._conn.exec_driver_sql("PRAGMA synchronous=OFF")  # the same records, no fsyncs
    journal._conn.commit()
    sent: list[str] = []
    started = time.monotonic()

    def run(commands: list[c.Command]) -> None:
        nonlocal written
        for command in commands:
            if isinstance(command, c.JournalRecord):
                entry = write(journal, command)
                written += 1
                if command.transaction is not None:
                    sent.append(str(command.transaction))
                del entry

    run(flow.start())
    run(flow.handle(e.MethodsAvailable(frozenset(PaymentMethod))))
    run(flow.handle(e.ConnectivityChanged(True, Money.of_major(1000))))
    session = 0
    try:
        while written < records:
            session += 1
            steps = session_events(session)
            for event in steps:
                run(flow.handle(event))
            if session % RESTART_EVERY == 0:
                recover(journal)  # the start-up step: a checkpoint record each night
                written = journal.last_seq
            if session % COLLECT_EVERY == 0:
                box = cashbox(journal, settings.kiosk.currency)
                record = collection_record(box, box.total, "collector")
                run([c.JournalRecord(RecordKind.CASH_COLLECTED, None, record, uuid.uuid4())])
            if len(sent) >= 5000:
                journal.outbox_mark(sent, sent=True)
                sent.clear()
        journal.outbox_mark(sent, sent=True)
    finally:
        journal.close()
    seconds = time.monotonic() - started
    print(f"{path}: {written} records, {session} sessions, in {seconds:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--out", type=Path, default=DEFAULT)
    args = parser.parse_args()
    make(args.out, args.records)


if __name__ == "__main__":
    main()
