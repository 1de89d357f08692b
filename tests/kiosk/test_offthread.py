"""Work off the main thread always answers: its result, or why it failed."""

from __future__ import annotations

import threading

import pytest

from kiosk.shell.offthread import Failed, run_off_thread
from offline_queue.journal import JournalError


def answers(work: object) -> list[object]:
    got: list[object] = []
    done = threading.Event()

    def answer(result: object) -> None:
        got.append(result)
        done.set()

    run_off_thread(work, answer, "test").join(5)  # type: ignore[arg-type]
    assert done.is_set()
    return got


def test_the_answer_comes_back() -> None:
    assert answers(lambda: 42) == [42]


def test_work_that_raises_answers_failed_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise JournalError("cannot append maintenance record 7: disk I/O error")

    [failed] = answers(broken)
    assert failed == Failed("JournalError: cannot append maintenance record 7: disk I/O error")
    assert "test work failed" in caplog.text  # with its traceback, in the log


def test_an_answer_that_raises_is_logged_not_lost(caplog: pytest.LogCaptureFixture) -> None:
    def answer(_: object) -> None:
        raise RuntimeError("the page is gone")

    run_off_thread(lambda: 1, answer, "test").join(5)
    assert "test answer failed" in caplog.text
