"""Strings that look like SQL or HTML, from the server (a holder's name, a bill
line) or typed by a customer, are shown and printed as the characters they
are and stored safely: the tables they name are still there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from central.books import customers
from central.db import accounts, bill_lines
from central.serve import running
from kiosk.flow import State
from tests.ui.rig import insert_note, printer, start_kiosk, state, to_bill, touch

HOLDER = "<b>王</b>*<img src=x onerror=alert(1)>"
LINE = "10月电费'; DROP TABLE bill_lines;--<i>x</i>"


def test_server_strings_that_look_like_html_or_sql_are_shown_and_printed_literally(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with running(tmp_path / "central.db") as central:
        with central.app.state.engine.begin() as conn:
            customers.add_account(conn, "electricity", "3301234567", HOLDER)
            customers.add_line(conn, "electricity", "3301234567", 16640, LINE, LINE)
        ui = start_kiosk(qtbot, tmp_path, central)
        try:
            to_bill(qtbot, ui)
            screen = ui.window.stack.currentWidget()
            shown = [w for w in screen.findChildren(QLabel) if w.isVisible()]
            hostile = [w for w in shown if "<b>" in w.text() or "<i>" in w.text()]
            texts = "\n".join(w.text() for w in hostile)
            assert HOLDER in texts and LINE in texts
            assert hostile and all(w.textFormat() is Qt.TextFormat.PlainText for w in hostile)
            touch(qtbot, ui, "缴纳 ¥166.40")
            touch(qtbot, ui, "现金")
            for note in (100, 50, 10, 10):
                insert_note(qtbot, ui, note)
            qtbot.waitUntil(lambda: state(ui) is State.DONE, timeout=20_000)
            qtbot.waitUntil(lambda: bool(printer(ui).receipts), timeout=10_000)
            receipt = printer(ui).receipts[-1].text
        finally:
            ui.stop()
        with central.app.state.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(bill_lines)) == 1
            assert conn.scalar(select(accounts.c.holder)) == HOLDER
    assert HOLDER in receipt
    assert "DROP TABLE bill_lines" in receipt
