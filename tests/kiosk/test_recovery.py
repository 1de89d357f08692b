"""Recovery after an interrupted session, on a real journal file."""

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.journaling import write
from kiosk.recovery import recover
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import Harness, bill, purchase_bill, yuan


def crash(path: Path, h: Harness, stop: Callable[[c.Command], bool] | None = None) -> None:
    """Write the harness's journal records in order, as the shell does, until ``stop``."""
    with Journal(path) as journal:
        for command in h.log:
            if stop is not None and stop(command):
                return
            if isinstance(command, c.JournalRecord):
                write(journal, command)


def kinds(path: Path) -> list[str]:
    with Journal(path) as journal:
        return [entry.kind for entry in journal.records()]


def ids() -> Callable[[], UUID]:
    counter = iter(range(10_000, 20_000))
    return lambda: UUID(int=next(counter))


def test_cash_session_cut_off_is_credited_to_the_account(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_cash()
    h.insert("50", "20")
    crash(path, h)
    with Journal(path) as journal:
        report = recover(journal, ids())
        records = list(journal.records())
        assert journal.verify().ok
        assert journal.outbox_count() == 1
    credit = [r for r in records if r.kind == "credit_settled"]
    assert [r.data["amount"] for r in credit] == [yuan("70").to_json()]
    assert credit[0].data["to"] == "account_credit"
    assert credit[0].data["reason"] == "recovered"
    assert records[-2].kind == "session_closed" and records[-2].data == {"outcome": "recovered"}
    assert records[-1].kind == "recovery"
    assert report.settled_sessions == 1 and not report.vouchers


def test_recovery_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_cash()
    h.insert("50")
    crash(path, h)
    with Journal(path) as journal:
        recover(journal, ids())
        second = recover(journal, ids())
    assert second.records == [] and second.sessions_checked == 0
    assert kinds(path).count("credit_settled") == 1


def test_parking_cut_off_gets_a_voucher(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_cash(bill("parking", "202611240001", "12.00"))
    h.insert("10")
    crash(path, h)
    with Journal(path) as journal:
        report = recover(journal, ids())
    assert [v.amount for v in report.vouchers] == [yuan("10")]


def test_paid_in_full_but_cut_before_completion_completes(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_cash(bill(due="30.00"))
    h.insert("20", "20")
    # power cut right after the second note's credit reached the disk
    crash(
        path,
        h,
        lambda cmd: isinstance(cmd, c.JournalRecord) and cmd.kind is RecordKind.PAYMENT_COMPLETED,
    )
    with Journal(path) as journal:
        report = recover(journal, ids())
        done = [r for r in journal.records() if r.kind == "payment_completed"]
    assert len(done) == 1
    assert done[0].data["amount"] == yuan("30").to_json()
    assert done[0].data["excess"] == yuan("10").to_json()
    assert done[0].data["excess_to"] == "account_credit"
    assert done[0].data["recovered"] is True
    assert len(report.receipts_to_reprint) == 1


def test_card_authorized_but_cut_before_completion_completes(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.CARD))
    ref = h.of(c.StartCardPayment)[0].reference
    h.send(e.CardApproved(ref, "622202******1234", "A1"))
    crash(
        path,
        h,
        lambda cmd: isinstance(cmd, c.JournalRecord) and cmd.kind is RecordKind.PAYMENT_COMPLETED,
    )
    with Journal(path) as journal:
        recover(journal, ids())
        [done] = [r for r in journal.records() if r.kind == "payment_completed"]
    assert done.data["method"] == "card"
    assert done.data["amount"] == yuan("123.45").to_json()
    assert done.data["details"]["masked_pan"] == "622202******1234"


def test_a_card_payment_cut_while_the_acquirer_was_asked_is_reversed(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.CARD))
    ref = h.of(c.StartCardPayment)[0].reference
    crash(path, h)  # the power went while the authorization was on its way
    with Journal(path) as journal:
        recover(journal, ids())
        [reversal] = [r for r in journal.records() if r.kind == "card_reversal"]
        assert recover(journal, ids()).records == []  # once
        assert journal.outbox_count() == 1  # uploaded: the server reverses it
    assert reversal.data == {"reference": ref, "reason": "interrupted"}


def test_a_card_declined_then_paid_in_cash_is_not_reversed(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.CARD))
    h.send(e.CardDeclined("51"))
    h.send(e.MethodChosen(PaymentMethod.CASH))
    h.insert("100", "20", "5")
    crash(path, h)
    with Journal(path) as journal:
        recover(journal, ids())
        assert [r for r in journal.records() if r.kind == "card_reversal"] == []


def test_unanswered_qr_order_is_left_to_the_server(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.WECHAT), e.QrOrderCreated("ORD1", "https://p/ORD1"))
    crash(path, h)
    with Journal(path) as journal:
        recover(journal, ids())
        unresolved = [r for r in journal.records() if r.kind == "qr_unresolved"]
        assert journal.outbox_count() == 1
    assert unresolved[0].data["order_id"] == "ORD1"


def test_finished_sessions_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.to_cash(bill(due="10.00"))
    h.insert("10")
    h.send(e.ReceiptPrinted())
    crash(path, h)
    with Journal(path) as journal:
        report = recover(journal, ids())
    assert report.sessions_checked == 1 and report.records == []
    assert report.receipts_to_reprint == []


def test_records_with_foreign_session_ids_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        journal.append("note_stacked", "not-a-uuid", {"value": {"minor": 100, "currency": "CNY"}})
        report = recover(journal, ids())
    assert report.sessions_checked == 0
    assert kinds(path) == ["note_stacked", "recovery"]


def test_a_card_write_cut_off_is_left_to_the_server(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.send(e.AccountCardRead("electricity", "1234567890"), e.BillFound(purchase_bill()))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")  # paid; the purchase is being written to the card when the power goes
    crash(path, h)
    with Journal(path) as journal:
        report = recover(journal, ids())
        [done] = [r for r in journal.records() if r.kind == "payment_completed"]
        [failed] = [r for r in journal.records() if r.kind == "card_load_failed"]
        transaction = journal.transaction(str(UUID(int=10_000)))  # the first id recovery used
        again = recover(journal, ids())
    assert done.data["method"] == "cash"  # the payment itself stands
    assert failed.data["reason"].startswith("interrupted")
    assert failed.data["account"] == "1234567890"
    assert transaction is not None and transaction.kind == "card_load_failed"  # uploaded
    assert report.settled_sessions == 1 and again.records == []


def test_a_card_write_that_answered_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    h = Harness()
    h.send(e.AccountCardRead("electricity", "1234567890"), e.BillFound(purchase_bill()))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    h.send(e.AccountCardLoaded(str(done.transaction), 7))
    crash(path, h)
    with Journal(path) as journal:
        recover(journal, ids())
        kinds = [r.kind for r in journal.records()]
    assert "card_loaded" in kinds and "card_load_failed" not in kinds
