"""One routing table: every command the flow can emit has exactly one executor,
checked at start; a gap or a second executor is an error, never a log line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from config.loader import defaults, merge, validate
from config.settings import Settings
from kiosk.app import KioskApp
from kiosk.flow import commands as c
from kiosk.flow.view import View
from kiosk.shell.routing import Routes, UnroutedCommand, command_types


def test_every_command_class_of_the_flow_is_known() -> None:
    names = {kind.__name__ for kind in command_types()}
    defined = {
        name for name, value in vars(c).items()
        if isinstance(value, type) and issubclass(value, c.Command) and value is not c.Command
    }  # fmt: skip
    assert names == defined
    assert {"RefundQrOrder", "ReverseCardPayment", "Show", "JournalRecord"} <= names


def test_a_gap_is_refused_and_named() -> None:
    routes = Routes()
    routes.add(lambda command: None, command_types() - {c.RefundQrOrder})
    with pytest.raises(UnroutedCommand, match="no executor for RefundQrOrder"):
        routes.check()
    with pytest.raises(UnroutedCommand, match="no executor for RefundQrOrder"):
        routes.execute(c.RefundQrOrder("OD1"))


def test_a_second_executor_for_a_type_is_refused() -> None:
    routes = Routes()
    routes.add(print, [c.Show])
    with pytest.raises(UnroutedCommand, match="Show has two executors"):
        routes.add(repr, [c.Show])


@dataclass(frozen=True, slots=True)
class NotTheFlows(c.Command):
    """A subclass outside the commands module is not one the flow emits."""


def test_only_the_flows_own_command_types_count() -> None:
    assert NotTheFlows not in command_types()


def kiosk_settings(tmp_path: Path, **extra: object) -> Settings:
    tree = merge(defaults(), {
        "paths": {"data_dir": str(tmp_path / "var")},
        "acceptor": {"protocol": "none"},
        "card_reader": {"enabled": False},
    })  # fmt: skip
    return validate(merge(tree, dict(extra)))


@pytest.mark.parametrize("acceptor", ["none", "sim"])
def test_the_kiosk_starts_with_every_command_routed(tmp_path: Path, acceptor: str) -> None:
    """Not enrolled and without a card reader, the absent parts answer for themselves."""
    settings = kiosk_settings(tmp_path, acceptor={"protocol": "id003" if acceptor == "sim"
                                                  else "none", "port": "sim"})  # fmt: skip
    shown: list[View] = []
    app = KioskApp(settings, shown.append)
    app.start()
    try:
        assert app.runner is not None
        assert app.runner.routes.missing() == frozenset()
        table = app.runner.routes.table()
        assert table["RefundQrOrder"] == "NoCentral.execute"
        assert table["StartCardPayment"] == "NoCardReader.execute"
        assert table["PrintReceipt"] == "ReceiptService.execute"
        assert table["JournalRecord"] == "FlowRunner._write"
        assert table["Show"] == "KioskApp._show_command"
    finally:
        app.stop()
    assert shown  # the first screen came through the table


def test_a_kiosk_with_a_gap_refuses_to_start(tmp_path: Path) -> None:
    """A command type added to the flow without an executor stops the start."""

    @dataclass(frozen=True, slots=True)
    class Unrouted(c.Command):
        pass

    c.Unrouted = Unrouted  # type: ignore[attr-defined]
    try:
        app = KioskApp(kiosk_settings(tmp_path), lambda view: None)
        with pytest.raises(UnroutedCommand, match="no executor for Unrouted"):
            app.start()
        app.stop()
    finally:
        del c.Unrouted  # type: ignore[attr-defined]
