"""The crash harness's ledgers: what the simulator stacked, what the journal
credited and settled, what the central server holds, and what does not add up."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from central.books import chart, ledger, verify
from central.db import card_reissues, transactions
from config.records import RecordKind
from offline_queue.journal import Journal

REACH_S = 12.0  # a kill point not reached by then: killed there and then ("late")


@dataclass
class Ledgers:
    kills: Counter[str] = field(default_factory=Counter)  # point → kills made there
    late: Counter[str] = field(default_factory=Counter)  # point → not reached in time
    stacked: list[int] = field(default_factory=list)  # minor units, by the simulator
    credited: list[int] = field(default_factory=list)  # note_stacked records
    credit_ids: list[str] = field(default_factory=list)
    central_cash: int = 0  # cash in the server's payments and credits
    journal_cash: int = 0  # the same, in the journal
    unsettled: list[str] = field(default_factory=list)  # sessions whose cash is not accounted
    unclosed: list[str] = field(default_factory=list)
    card_loads_unanswered: list[str] = field(default_factory=list)  # neither loaded nor failed
    exits: list[str] = field(default_factory=list)  # a kiosk that stopped by itself
    card_loaded: int = 0
    card_load_failed: int = 0
    card_reissued: int = 0  # left to the server, then written at a later visit
    reissues_astray: list[str] = field(default_factory=list)  # server and journal disagree
    not_uploaded: int = 0
    sessions: int = 0
    payments: int = 0
    chain_ok: bool = False
    bundle_ok: bool = False
    books: list[str] = field(default_factory=list)  # what `kiosk-central books verify` finds
    books_cash: int = 0  # the kiosk's drawer and cash in transit, in the server's books

    def problems(self) -> list[str]:
        checks = [
            (sorted(self.stacked) != sorted(self.credited),
             f"stacked {sorted(self.stacked)} but credited {sorted(self.credited)}"),
            (len(set(self.credit_ids)) != len(self.credit_ids),
             f"a credit id twice: {Counter(self.credit_ids).most_common(3)}"),
            (sum(self.stacked) != self.journal_cash,
             f"stacked {sum(self.stacked)} but settled {self.journal_cash} in sessions"),
            (self.central_cash != self.journal_cash,
             f"central holds {self.central_cash}, journal {self.journal_cash}"),
            (bool(self.unsettled), f"sessions with cash not settled: {self.unsettled}"),
            (bool(self.unclosed), f"sessions left open: {self.unclosed}"),
            (bool(self.exits), f"the kiosk stopped by itself (see kiosk.log): {self.exits}"),
            (bool(self.card_loads_unanswered),
             f"card purchases neither loaded nor reported: {self.card_loads_unanswered}"),
            (bool(self.reissues_astray),
             f"card purchases the server mislaid: {self.reissues_astray}"),
            (bool(self.not_uploaded), f"{self.not_uploaded} transactions not uploaded"),
            (not self.chain_ok, "the journal's hash chain is broken"),
            (not self.bundle_ok, "the config bundle on disk is not the last one published"),
            (self.books_cash != self.central_cash,
             f"the books hold {self.books_cash} of cash, the uploads {self.central_cash}"),
        ]  # fmt: skip
        return [why for failed, why in checks if failed] + [
            f"books verify: {problem}" for problem in self.books
        ]

    def summary(self) -> str:
        return (
            f"{sum(self.kills.values())} kills ({dict(sorted(self.kills.items()))}; "
            f"not reached in {REACH_S:.0f} s: {sum(self.late.values())}), "
            f"{self.sessions} sessions, {self.payments} payments, card purchases "
            f"{self.card_loaded} loaded / {self.card_load_failed} left to the server "
            f"({self.card_reissued} of them written later), "
            f"{len(self.stacked)} notes stacked = ¥{sum(self.stacked) / 100:.2f}, "
            f"{len(self.credited)} credited, central cash ¥{self.central_cash / 100:.2f}, "
            f"books {'ok' if not self.books else 'WRONG'} with ¥{self.books_cash / 100:.2f} of cash"
        )


def tally(ledgers: Ledgers, journal_path: Path, engine: Engine, kiosk_id: str) -> None:
    """Fill ``ledgers`` from the kiosk's journal and what the server stored."""
    with Journal(journal_path) as journal:
        ledgers.chain_ok = journal.verify().ok
        ledgers.not_uploaded = journal.outbox_counts()["pending"]
        sessions: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        failed: set[str] = set()
        reissued: set[str] = set()
        for entry in journal.records():
            if entry.kind == RecordKind.NOTE_STACKED.value:
                ledgers.credited.append(entry.data["value"]["minor"])
                ledgers.credit_ids.append(entry.data["credit_id"])
            sessions.setdefault(entry.session or "-", []).append((entry.kind, entry.data))
            if entry.kind == RecordKind.CARD_LOAD_FAILED.value:
                failed.add(entry.data["transaction"])
            elif entry.kind == RecordKind.CARD_REISSUED.value:
                reissued.add(entry.data["transaction"])
    for session, records in sessions.items():
        stacked = sum(d["value"]["minor"] for k, d in records if k == "note_stacked")
        settled = sum(cash_of(k, d) for k, d in records)
        ledgers.journal_cash += settled
        if stacked != settled:
            ledgers.unsettled.append(f"{session}: stacked {stacked}, settled {settled}")
        kinds = {k for k, _ in records}
        if "session_opened" in kinds:
            ledgers.sessions += 1
            if "session_closed" not in kinds:
                ledgers.unclosed.append(session)
        ledgers.payments += "payment_completed" in kinds
        answered = {d["transaction"] for k, d in records
                    if k in ("card_loaded", "card_load_failed")}  # fmt: skip
        ledgers.card_loaded += sum(k == "card_loaded" for k, _ in records)
        ledgers.card_load_failed += sum(k == "card_load_failed" for k, _ in records)
        ledgers.card_loads_unanswered += [
            d["transaction"] for k, d in records
            if k == "card_loading" and d["transaction"] not in answered
        ]  # fmt: skip
    with engine.connect() as conn:
        kept = dict(conn.execute(select(card_reissues.c.purchase, card_reissues.c.done)).all())
        rows = conn.execute(
            select(transactions.c.kind, transactions.c.payload).where(
                transactions.c.kiosk_id == kiosk_id
            )
        ).all()
        ledgers.books = verify.problems(conn)
        ledgers.books_cash = sum(
            ledger.balance_of(conn, code)
            for code in (chart.drawer(kiosk_id), chart.in_transit(kiosk_id))
        )
    for kind, payload in rows:
        ledgers.central_cash += cash_of(kind, json.loads(payload)["data"])
    # every purchase left to the server is kept there until a kiosk wrote it, then done
    ledgers.card_reissued += len(reissued)
    ledgers.reissues_astray += [
        purchase for purchase in failed | reissued | kept.keys()
        if kept.get(purchase) != (purchase in reissued) or purchase not in failed
    ]  # fmt: skip


def cash_of(kind: str, data: dict[str, Any]) -> int:
    """The cash a journal record or uploaded transaction accounts for."""
    if kind == "credit_settled":
        return int(data["amount"]["minor"])
    if kind == "payment_completed" and data.get("method") == "cash":
        return int(data["tendered"]["minor"])
    return 0
