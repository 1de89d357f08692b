"""The maintenance menu on the running kiosk: the real ID-003 driver against
its simulator on a pty, the ESC/POS simulator, the reference server on
loopback; a technician touching the menu's buttons (pytest-qt)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from central.db import transactions
from central.serve import Central
from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.maintenance.pins import hash_pin, lock_state
from kiosk.maintenance.roles import PERMISSIONS, Function, NotAllowed, Role
from kiosk.money import Money
from offline_queue import backup
from tests.ui.rig import (
    insert_note,
    printer,
    shown_text,
    start_kiosk,
    state,
    to_paying,
    touch,
    type_digits,
    view,
)
from ui.app import KioskUi
from ui.screens.maintenance.screen import MaintenanceScreen
from ui.screens.maintenance.settings import SettingsPage

PINS = {Role.TECHNICIAN: "246810", Role.COLLECTOR: "135790", Role.ADMINISTRATOR: "975310"}
PAGES = {
    Role.TECHNICIAN: ["设备", "上传队列", "系统", "运维操作"],
    Role.COLLECTOR: ["现金"],
    Role.ADMINISTRATOR: ["设备", "上传队列", "系统", "设置", "注册", "密码"],
}


def enter(qtbot: QtBot, ui: KioskUi, pin: str) -> None:
    ui.window.open_pin()
    type_digits(qtbot, ui, pin)
    touch(qtbot, ui, "确定")


def log_in(qtbot: QtBot, ui: KioskUi, role: Role) -> MaintenanceScreen:
    enter(qtbot, ui, PINS[role])
    qtbot.waitUntil(lambda: state(ui) is State.MAINTENANCE, timeout=5_000)
    screen = ui.window.screen_for(State.MAINTENANCE)
    assert isinstance(screen, MaintenanceScreen)
    return screen


def actions(ui: KioskUi, action: str) -> list[dict[str, object]]:
    journal = ui.app.journal
    assert journal is not None
    return [e.data for e in journal.records_of(["maintenance"]) if e.data["action"] == action]


def at_central(central: Central, kind: str) -> list[dict[str, Any]]:
    """The uploaded transactions of ``kind``: their journal records' data."""
    with central.app.state.engine.connect() as conn:
        rows = conn.execute(select(transactions.c.payload).where(transactions.c.kind == kind)).all()
    return [json.loads(row.payload)["data"] for row in rows]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_its_own_functions(qtbot: QtBot, kiosk: KioskUi, role: Role) -> None:
    screen = log_in(qtbot, kiosk, role)
    assert [page.name() for page in screen.visible_pages()] == PAGES[role]
    assert view(kiosk).maintenance_role == role.value
    service = kiosk.app.maintenance
    for function in Function:
        assert service.may(function) is (function in PERMISSIONS[role])
    if role is not Role.COLLECTOR:
        with pytest.raises(NotAllowed):
            service.cashbox()  # cash is the collector's alone
    if role is not Role.TECHNICIAN:
        with pytest.raises(NotAllowed):
            service.set_out_of_service(True)
    touch(qtbot, kiosk, "退出维护")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT)
    assert kiosk.app.maintenance.role is None
    with pytest.raises(NotAllowed):
        service.devices()  # nobody is in any more
    entered = actions(kiosk, "entered")
    assert entered[-1]["role"] == role.value
    assert actions(kiosk, "pin_accepted")[-1]["role"] == role.value
    assert not any(PINS[role] in json.dumps(a) for a in actions(kiosk, "pin_accepted"))


def _failed(ui: KioskUi, count: int) -> bool:
    return len(actions(ui, "pin_failed")) == count


def test_five_wrong_pins_lock_the_menu_for_thirty_minutes(
    qtbot: QtBot, kiosk: KioskUi, central: Central
) -> None:
    for attempt in range(1, 6):
        enter(qtbot, kiosk, "000000")
        qtbot.waitUntil(partial(_failed, kiosk, attempt), timeout=5_000)
    qtbot.waitUntil(lambda: "输入错误次数过多" in shown_text(kiosk), timeout=5_000)
    [locked] = actions(kiosk, "locked")
    until = datetime.fromisoformat(str(locked["until"]))
    assert timedelta(minutes=29) < until - datetime.now(UTC) <= timedelta(minutes=30)
    result = kiosk.app.maintenance.enter_pin(PINS[Role.TECHNICIAN])  # the right PIN, too late
    assert result.role is None and result.lock.locked(datetime.now(UTC))
    assert actions(kiosk, "pin_refused")[-1]["why"] == "locked"
    assert state(kiosk) is State.ATTRACT
    journal = kiosk.app.journal
    assert journal is not None
    # The lock is in the journal, not in memory: a restart does not lift it; time does.
    assert lock_state(journal, datetime.now(UTC), 5).locked(datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert not lock_state(journal, later, 5).locked(later)
    qtbot.waitUntil(lambda: len(at_central(central, "maintenance")) >= 6, timeout=15_000)
    assert {"pin_failed", "locked"} <= {d["action"] for d in at_central(central, "maintenance")}


def test_the_collection_report_matches_the_notes_inserted(
    qtbot: QtBot, kiosk: KioskUi, central: Central
) -> None:
    to_paying(qtbot, kiosk, "现金")
    for major in (100, 50, 20):
        insert_note(qtbot, kiosk, major)
    qtbot.waitUntil(lambda: state(kiosk) in (State.COMPLETING, State.DONE), timeout=10_000)
    touch(qtbot, kiosk, "完成")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT, timeout=10_000)
    log_in(qtbot, kiosk, Role.COLLECTOR)
    text = shown_text(kiosk)
    assert "3 张，¥170.00" in text
    assert "¥100.00" in text and "¥50.00" in text and "¥20.00" in text
    type_digits(qtbot, kiosk, "160")  # the collector counts ¥160 by hand
    touch(qtbot, kiosk, "确定")
    before = len(printer(kiosk).receipts)
    touch(qtbot, kiosk, "清点：打印报告并开始新周期")
    qtbot.waitUntil(lambda: len(printer(kiosk).receipts) > before, timeout=10_000)
    report = printer(kiosk).receipts[-1].text
    assert "现金清点报告" in report
    assert "￥170.00" in report and "￥160.00" in report and "-￥10.00" in report
    qtbot.waitUntil(lambda: "差额 -¥10.00 已记录" in shown_text(kiosk), timeout=5_000)
    journal = kiosk.app.journal
    assert journal is not None
    [(_, record)] = journal.latest_transactions("cash_collected")
    assert record.data["total"] == Money(17000).to_json()
    assert record.data["discrepancy"] == Money(-1000).to_json()
    assert record.data["role"] == "collector"
    assert kiosk.app.maintenance.cashbox().count == 0  # a new period
    qtbot.waitUntil(lambda: len(at_central(central, "cash_collected")) == 1, timeout=15_000)


def test_a_dead_letter_is_shown_with_its_reason_and_retried(
    qtbot: QtBot, kiosk: KioskUi, central: Central
) -> None:
    journal = kiosk.app.journal
    assert journal is not None
    kiosk.app.maintenance.enter_pin("111111")  # a wrong PIN: one more transaction
    qtbot.waitUntil(lambda: journal.outbox_counts()["pending"] == 0, timeout=15_000)
    [(transaction, _)] = journal.latest_transactions("maintenance", limit=1)
    journal.outbox_mark([transaction], sent=False, error="rejected: HTTP 422 bad payload")
    log_in(qtbot, kiosk, Role.TECHNICIAN)
    touch(qtbot, kiosk, "上传队列")
    qtbot.waitUntil(lambda: "rejected: HTTP 422 bad payload" in shown_text(kiosk))
    touch(qtbot, kiosk, "重新上传失败的交易")
    qtbot.waitUntil(lambda: journal.outbox_counts()["dead"] == 0, timeout=5_000)
    qtbot.waitUntil(lambda: journal.outbox_counts()["pending"] == 0, timeout=15_000)
    assert actions(kiosk, "dead_letters_retried")[-1]["count"] == 1


def test_out_of_service_is_toggled_and_survives_a_restart(qtbot: QtBot, kiosk: KioskUi) -> None:
    log_in(qtbot, kiosk, Role.TECHNICIAN)
    touch(qtbot, kiosk, "运维操作")
    touch(qtbot, kiosk, "暂停服务")
    qtbot.waitUntil(lambda: "顾客看到：暂停服务。" in shown_text(kiosk))
    touch(qtbot, kiosk, "重启终端程序")
    qtbot.waitUntil(lambda: kiosk.restarts == 1, timeout=10_000)
    qtbot.waitUntil(lambda: state(kiosk) is State.OUT_OF_SERVICE, timeout=10_000)
    assert "抱歉，本机暂停服务" in shown_text(kiosk)
    log_in(qtbot, kiosk, Role.TECHNICIAN)
    touch(qtbot, kiosk, "运维操作")
    touch(qtbot, kiosk, "恢复服务")
    touch(qtbot, kiosk, "退出维护")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT, timeout=5_000)
    assert [a["on"] for a in actions(kiosk, "out_of_service")] == [True, False]
    assert actions(kiosk, "restart")[-1]["role"] == "technician"


def test_the_hidden_gesture_opens_the_pin_pad(qtbot: QtBot, kiosk: KioskUi) -> None:
    from PySide6.QtCore import QPoint, Qt  # noqa: PLC0415

    window = kiosk.window
    window.lock_down(hide_cursor=False)  # the app-wide event filter, as on a kiosk
    handle = window.windowHandle()  # touches reach the window first, as on the panel
    left, right = QPoint(30, 30), QPoint(window.width() - 30, 30)
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=left)  # type: ignore[no-untyped-call]
    qtbot.wait(2200)
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=left)  # type: ignore[no-untyped-call]
    assert not window.pin_open()
    for _ in range(3):
        qtbot.mouseClick(handle, Qt.MouseButton.LeftButton, pos=right)  # type: ignore[no-untyped-call]
    qtbot.waitUntil(window.pin_open, timeout=2_000)
    assert "请输入维护密码" in shown_text(kiosk)


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """Where a USB stick would be mounted (udisks: /media/<user>/<label>)."""
    path = tmp_path / "media" / "tech" / "USB"
    path.mkdir(parents=True)
    return path


def test_export_writes_the_journal_to_a_removable_drive(
    qtbot: QtBot, tmp_path: Path, central: Central, drive: Path
) -> None:
    roots: dict[str, object] = {"export_roots": [str(tmp_path / "media")]}
    kiosk = start_kiosk(qtbot, tmp_path, central, maintenance=roots)
    try:
        kiosk.app.maintenance.is_mount = lambda path: path == drive  # no mount(8) in a test
        log_in(qtbot, kiosk, Role.TECHNICIAN)
        var = tmp_path / "var"
        copy = backup.take(var / "journal.db", var / "backups", datetime.now(UTC))  # the timer's
        touch(qtbot, kiosk, "运维操作")
        touch(qtbot, kiosk, str(drive))
        qtbot.waitUntil(lambda: "已导出到" in shown_text(kiosk), timeout=10_000)
    finally:
        kiosk.stop()
    [folder] = list(drive.iterdir())
    lines = (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    assert any('"entered"' in line for line in lines)
    check = json.loads((folder / "journal-check.json").read_text())
    assert check["chain_ok"] is True and check["records"] == len(lines)
    assert check["archives"] == []
    assert backup.check(folder / "backup" / copy.path.name).records == copy.records


def test_a_device_change_that_fails_its_test_is_not_applied(
    qtbot: QtBot, kiosk: KioskUi, tmp_path: Path
) -> None:
    log_in(qtbot, kiosk, Role.ADMINISTRATOR)
    touch(qtbot, kiosk, "设置")
    answers: list[str | None] = []
    change = {"printer": {"connection": "network", "host": "127.0.0.1", "port": 9}}
    kiosk.app.maintenance.set_devices(change, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=15_000)
    assert answers[0] is not None and answers[0].startswith("printer: answers no_answer")
    assert not (tmp_path / "var" / "settings.local.json").exists()
    answers.clear()
    kiosk.app.maintenance.set_devices({"printer": {"connection": "fax"}}, answers.append)
    assert answers and "printer.connection" in str(answers[0])
    assert str(actions(kiosk, "devices_refused")[-1]["why"]).startswith("printer: ")


def test_the_location_is_set_and_kept_across_a_restart(
    qtbot: QtBot, kiosk: KioskUi, tmp_path: Path
) -> None:
    service_before = kiosk.app.maintenance
    log_in(qtbot, kiosk, Role.ADMINISTRATOR)
    service_before.set_location("东区服务大厅", "East service hall")
    with pytest.raises(ValueError, match="no < >"):
        service_before.set_location("<script>", "x")
    saved = json.loads((tmp_path / "var" / "settings.local.json").read_text(encoding="utf-8"))
    assert saved == {"kiosk": {"location": "东区服务大厅", "location_en": "East service hall"}}
    service_before.leave()
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT)
    kiosk.app.request_restart()
    qtbot.waitUntil(lambda: kiosk.restarts == 1, timeout=10_000)
    assert kiosk.app.settings.kiosk.location_en == "East service hall"


def test_enrollment_by_code_from_the_menu(
    qtbot: QtBot, kiosk: KioskUi, central: Central, tmp_path: Path
) -> None:
    from central.enrollment import new_enrollment_code  # noqa: PLC0415

    code = new_enrollment_code(central.app.state.engine, "K-UI-2")
    log_in(qtbot, kiosk, Role.ADMINISTRATOR)
    touch(qtbot, kiosk, "注册")
    answers: list[str | None] = []
    kiosk.app.maintenance.enroll("bad code!", answers.append)
    assert answers and "enrollment code" in str(answers[0])
    kiosk.app.maintenance.enroll(code, answers.append)
    qtbot.waitUntil(lambda: kiosk.restarts == 1, timeout=15_000)
    credentials = json.loads((tmp_path / "var" / "central.json").read_text())
    assert credentials["kiosk_id"] == "K-UI-2"
    assert kiosk.app.credentials is not None and kiosk.app.credentials.kiosk_id == "K-UI-2"


def test_a_device_change_whose_record_cannot_be_written_says_so_and_the_page_goes_on(
    qtbot: QtBot, kiosk: KioskUi, tmp_path: Path
) -> None:
    """The helper thread's work fails (the journal is locked past SQLite's 5 s): the
    page says why instead of "Testing the devices…" for ever, and works again."""
    log_in(qtbot, kiosk, Role.ADMINISTRATOR)
    touch(qtbot, kiosk, "设置")
    screen = kiosk.window.screen_for(State.MAINTENANCE)
    assert isinstance(screen, MaintenanceScreen)
    page = screen.findChild(SettingsPage)
    assert page is not None
    page.printer_address.setText("127.0.0.1:9")  # no printer there: refused, journaled
    page.printer.set("network")
    locker = sqlite3.connect(tmp_path / "var" / "journal.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # e.g. a technician's sqlite3 shell
    try:
        touch(qtbot, kiosk, "测试设备并应用")
        assert "正在测试设备" in page.result.text()
        qtbot.waitUntil(lambda: "操作未完成" in page.result.text(), timeout=20_000)
        assert "JournalError" in page.result.text()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    touch(qtbot, kiosk, "测试设备并应用")  # the page goes on: the same change, answered
    qtbot.waitUntil(lambda: "未应用" in page.result.text(), timeout=20_000)
    assert kiosk.app.acceptor is not None  # the acceptor was given back to the flow


def test_a_settings_bundle_swapped_in_sets_the_menus_pins_and_lockout(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    """One settings source: the menu reads the settings in use, not the ones the
    kiosk started with (a signed bundle's new PIN and lockout count apply)."""
    started = kiosk.app.current_settings()
    section = started.maintenance.model_copy(
        update={"technician_pin": hash_pin("112233", n=2**10), "max_pin_failures": 3}
    )
    bundle = started.model_copy(update={"maintenance": section})
    kiosk.app.post(e.SettingsChanged(bundle, 7))
    qtbot.waitUntil(lambda: view(kiosk).settings_version == 7, timeout=5_000)
    service = kiosk.app.maintenance
    assert service.enter_pin(PINS[Role.TECHNICIAN]).role is None  # the old PIN is gone
    assert service.enter_pin("000000").tries_left == 1  # three tries, not five
    assert service.enter_pin("112233").role is Role.TECHNICIAN


def test_a_pin_that_cannot_be_checked_says_so_and_the_pad_goes_on(
    qtbot: QtBot, kiosk: KioskUi, tmp_path: Path
) -> None:
    """The try cannot be journaled (the journal is locked past SQLite's 5 s): the
    pad says so instead of hanging on "Checking…", and the next try works."""
    locker = sqlite3.connect(tmp_path / "var" / "journal.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        enter(qtbot, kiosk, PINS[Role.TECHNICIAN])
        qtbot.waitUntil(lambda: "密码暂时无法核对" in shown_text(kiosk), timeout=20_000)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert state(kiosk) is State.ATTRACT
    log_in(qtbot, kiosk, Role.TECHNICIAN)
