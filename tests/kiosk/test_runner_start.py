"""The flow's start comes first, whatever was posted before it: a driver can
credit a note found in the stacker at power-up before the runner starts (the
crash harness found the flow failing to start when that happened)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.flow import PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Money
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS


def test_events_posted_before_start_follow_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[State] = []

    def services(command: c.Command) -> None:
        if isinstance(command, c.Show):
            shown.append(command.view.state)

    with Journal(tmp_path / "j.db") as journal:
        runner = FlowRunner(PayFlow(SETTINGS), journal, services=services)
        durable = runner.post_credit(e.NoteStacked(Money(2000), "power-up-7"))
        touched = runner.post(e.StartPressed())
        assert not durable.is_set()  # held until the flow has started
        runner.start()
        try:
            assert durable.wait(5) and touched.wait(5)
            assert runner.flow.state is State.CHOOSE_SERVICE
        finally:
            runner.stop()
        kinds = [r.kind for r in journal.records()]
    assert "the flow failed" not in caplog.text
    assert shown[0] is State.ATTRACT  # the start's own screen first
    assert "note_stacked" in kinds and kinds.count("credit_settled") == 1  # a voucher
