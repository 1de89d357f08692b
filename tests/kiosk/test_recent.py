"""What a device thread remembers stays bounded: the last credits offered, the
last card payments cancelled (a kiosk runs for months)."""

from __future__ import annotations

from pathlib import Path

from drivers import acceptor as ev
from kiosk.flow import PayFlow
from kiosk.shell.acceptor_link import CREDITS_KEPT, AcceptorLink
from kiosk.shell.recent import Recent
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS


def test_recent_keeps_the_last_keys_only() -> None:
    recent: Recent[str, int] = Recent(3)
    for n in range(5):
        recent.put(f"k{n}", n)
    assert len(recent) == 3 and "k1" not in recent and recent.get("k4") == 4
    recent.put("k2", 20)  # put again: newest now
    recent.put("k5", 5)
    assert "k2" in recent and "k3" not in recent


def test_the_acceptor_link_answers_a_re_offer_alike_and_forgets_old_credits(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path / "journal.db") as journal:
        runner = FlowRunner(PayFlow(SETTINGS), journal, services=lambda command: None)
        runner.start()
        try:
            link = AcceptorLink(runner, journal)
            offers = [ev.Stacked(1000, "CNY", f"id003-t:{n}") for n in range(CREDITS_KEPT + 50)]
            assert all(link.credit(stacked) for stacked in offers)  # journaled, so ACKed
            assert link.credit(offers[-1])  # the same credit again: the same answer
            stacked = [r for r in journal.records() if r.kind == "note_stacked"]
            assert len(stacked) == len(offers)  # the re-offer was not credited twice
            assert len(link._credits) == CREDITS_KEPT  # the bound itself
        finally:
            runner.stop()
