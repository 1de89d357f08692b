"""The demo's last part: the kiosk with the local central server, for real.

The reference server runs as its own process (``kiosk-central serve`` on a
SQLite file in the demo folder; the kiosk never imports the server). The
kiosk enrolls with a one-time code, looks up a seeded bill, pays it by QR
through the sandbox provider (the "phone" presses Pay on the sandbox page),
uploads its transactions, sends a heartbeat, and picks up a fee table the
operator publishes, by long-poll, between customers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

from config.choices import PaymentMethod
from config.loader import local_tree
from config.settings import Settings
from drivers.printer.printer import ReceiptPrinter
from drivers.sim.escpos_server import free_port
from kiosk.flow import PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.ledger import offline_allowance
from kiosk.money import Language
from kiosk.shell.central import CentralService, enroll
from kiosk.shell.heartbeat import HeartbeatService
from kiosk.shell.printing import print_payment
from kiosk.shell.runner import FlowRunner
from offline_queue.bundles import BundlePoller, BundleStore
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker

FEES = """# Parking goes up: ¥4 per started half hour, capped at ¥40 a day.
[tariffs.parking]
type = "parking"
free_minutes = 15
period_minutes = 30
rate_fen = 400
daily_cap_fen = 4000
"""


CENTRAL = str(Path(sys.executable).with_name("kiosk-central"))  # installed beside python


def cli(*args: str) -> str:
    return subprocess.run(
        [CENTRAL, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition`` came true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def server_up(url: str) -> bool:
    try:
        return requests.get(f"{url}/docs", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def central_server(db: str, log_file: Path) -> Iterator[str | None]:
    """``kiosk-central serve`` on ``db`` as its own process, with the payment
    provider simulators beside it (WeChat Pay and Alipay on their own
    protocols; UnionPay QR on the sandbox): its URL once it answers, or None (and why, on
    stdout) if it did not start; stopped on leaving."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_file.open("w") as log:
        server = subprocess.Popen(
            [CENTRAL, "serve", "--db", db, "--port", str(port), "--provider-sims"],
            stdout=log, stderr=log,
        )  # fmt: skip
        try:
            up = wait_for(lambda: server_up(url), 20)
            if not up:
                print(f"  the central server did not start (see {log_file.name})")
            yield url if up else None
        finally:
            server.terminate()
            server.wait(timeout=10)


def run_central_demo(settings: Settings, out: Path, printer: ReceiptPrinter) -> bool:
    """Every step must work; False (and why) if one does not."""
    out.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{out / 'central.db'}"
    key = out / "operator.key"
    print("  $ kiosk-central seed-demo / keygen / enroll K-DEMO-1")
    print("  " + cli("seed-demo", "--db", db))
    public = cli("keygen", "--key", str(key))
    code = cli("enroll", "K-DEMO-1", "--db", db)
    with central_server(db, out / "central.log") as url:
        if url is None:
            return False
        print(f"  central server on {url} (API document: {url}/docs)")
        ok = _session(settings, out, printer, url, code, public, key, db)
    return books_report(db, out) and ok


def books_report(db: str, out: Path, show_trial_balance: bool = False) -> bool:
    """The server's books after the session: the trial balance and the paying
    account's statement (kept in ``out``), and ``books verify``."""
    print("  $ kiosk-central books trial-balance / statement / verify")
    books = {
        "trial-balance.txt": ["trial-balance"],
        "statement.txt": ["statement", "--service", "electricity", "--account", "3301234567"],
    }
    for name, args in books.items():
        (out / name).write_text(cli("books", *args, "--db", db) + "\n", encoding="utf-8")
    shown = (out / "statement.txt").read_text(encoding="utf-8").splitlines()
    if show_trial_balance:
        shown = (out / "trial-balance.txt").read_text(encoding="utf-8").splitlines() + shown
    print("\n".join(f"    {line}" for line in shown))
    verdict = subprocess.run([CENTRAL, "books", "verify", "--db", db], capture_output=True,
                             text=True, check=False)  # fmt: skip
    print("  " + verdict.stdout.strip().replace("\n", "\n  "))
    return verdict.returncode == 0


def _session(
    settings: Settings, out: Path, printer: ReceiptPrinter, url: str, code: str, public: str,
    key: Path, db: str,
) -> bool:  # fmt: skip
    credentials = enroll(url, code, out / "central.json")
    print(f"  enrolled as {credentials.kiosk_id} (group {credentials.group}); "
          f"credential kept in {out / 'central.json'}")  # fmt: skip
    with Journal(out / "online-journal.db") as journal:
        central: list[CentralService] = []

        def service(command: c.Command) -> None:
            if isinstance(command, CentralService.COMMANDS):
                central[0].execute(command)
            elif isinstance(command, c.PrintReceipt):
                tx = str(command.transaction)
                result = print_payment(printer, journal, settings, tx, Language.ZH)
                printed = result is not None and result.printed
                runner.post(e.ReceiptPrinted() if printed else e.ReceiptFailed("not printed"))

        runner = FlowRunner(PayFlow(settings), journal, services=service)
        central.append(CentralService(url, credentials.token, runner.post))
        runner.start()
        poller = BundlePoller(
            url, credentials.token, BundleStore(out / "bundles", public), public_key_hex=public,
            kiosk_id=credentials.kiosk_id, group=credentials.group, local_tree=local_tree(),
            on_accept=lambda s, b: runner.post(e.SettingsChanged(s, b.version)), wait_s=20,
        )  # fmt: skip
        try:
            ok = _pay_by_qr(runner, "electricity", "3301234567", PaymentMethod.WECHAT)
            ok = ok and _pay_by_qr(runner, "water", "33012345", PaymentMethod.ALIPAY)
            ok = ok and _upload(journal, url, credentials.token)
            beat = HeartbeatService(
                url, credentials.token, runner.post,
                lambda: {"devices": {"acceptor": "ok", "printer": "ok"},
                         "versions": {"app": "0.1.0"},
                         "queue_depth": journal.outbox_counts()["pending"]},
                lambda: offline_allowance(journal, settings, datetime.now(UTC)),
            )  # fmt: skip
            print(f"  heartbeat with telemetry: {'accepted' if beat.beat() else 'FAILED'}")
            ok = ok and _new_fee_table(runner, poller, out, key, db)
        finally:
            poller.stop()
            central[0].stop()
            runner.stop()
    return ok


WALLETS = {PaymentMethod.WECHAT: "WeChat Pay", PaymentMethod.ALIPAY: "Alipay"}


def _pay_by_qr(runner: FlowRunner, service: str, account: str, method: PaymentMethod) -> bool:
    if not wait_for(lambda: runner.flow.state is State.ATTRACT, 20):
        print(f"  the kiosk is not ready for the next customer: {runner.flow.state.value}")
        return False
    for event in (e.StartPressed(), e.ServiceChosen(service), e.AccountEntered(account)):
        runner.post(event).wait(5)
    if not wait_for(lambda: runner.flow.state is State.BILL_SHOWN, 10):
        print(f"  bill lookup failed: {runner.flow.view().notice}")
        return False
    bill = runner.flow.view().bill
    assert bill is not None
    print(f"  bill for {bill.holder} ({bill.service} {bill.account}):")
    for line in bill.lines:
        print(f"    {line.label_en:55s} {line.amount.format(Language.EN):>14s}")
    for coupon in bill.coupons:
        off = coupon.amount.format(Language.EN)
        print(f"    coupon {coupon.code}: {coupon.label_en:40s} -{off:>13s}")
    print(f"    due {bill.due.format(Language.EN)}")
    runner.post(e.AmountChosen(bill.due)).wait(5)
    runner.post(e.MethodChosen(method)).wait(5)
    if not wait_for(lambda: runner.flow.view().qr_url is not None, 10):
        print("  no QR order")
        return False
    qr_url = str(runner.flow.view().qr_url)
    print(f"  QR code shows {qr_url}")
    page = requests.get(qr_url, timeout=5)
    print(
        f"  the customer's phone opens it on the {WALLETS[method]} simulator "
        f"({page.status_code}) and presses Pay; its signed notification tells the server"
    )
    requests.post(qr_url, data={"pay": "1"}, timeout=5).raise_for_status()
    if not wait_for(lambda: runner.flow.state in (State.DONE, State.ATTRACT), 20):
        print(f"  payment not completed: {runner.flow.state.value}")
        return False
    print(f"  paid: the flow reached {runner.flow.state.value}, receipt printed")
    return True


def _upload(journal: Journal, url: str, token: str) -> bool:
    pending = journal.outbox_counts()["pending"]
    worker = SyncWorker(journal, url, token)
    worker.sync_once()
    worker.stop()
    left = journal.outbox_counts()["pending"]
    print(f"  uploaded {pending - left} transactions, {left} waiting")
    return left == 0


def _new_fee_table(runner: FlowRunner, poller: BundlePoller, out: Path, key: Path, db: str) -> bool:
    poller.start()
    time.sleep(0.5)  # the poller's long-poll is waiting at the server
    source = out / "parking-fees.toml"
    source.write_text(FEES, encoding="utf-8")
    started = time.monotonic()
    print("  $ kiosk-central publish parking-fees.toml --group default")
    print("  " + cli("publish", str(source), "--group", "default", "--key", str(key), "--db", db))
    arrived = wait_for(lambda: poller.version > 0, 5)
    seconds = time.monotonic() - started
    if not arrived:
        why = poller.last_refusal or "no answer"
        print(f"  the new fee table did not arrive within 5 s ({why})")
        return False
    print(
        f"  bundle {poller.version} arrived {seconds:.2f} s after publishing; checked (signature,"
    )
    print("  version, expiry, target, schema) and kept on disk")
    runner.post(e.ScreenTouched()).wait(5)
    in_use = runner.flow.view().settings_version
    screen = runner.flow.state.value
    print(f"  the last customer is still on the {screen} screen: bundle in use {in_use}")
    runner.post(e.BackPressed()).wait(5)  # the customer touches "finish"
    if not wait_for(lambda: runner.flow.view().settings_version == poller.version, 5):
        print("  the bundle was not swapped in after the session")
        return False
    print(f"  session over ({runner.flow.state.value}): bundle {poller.version} swapped in;")
    print("  parking now costs ¥4 per started half hour")
    return in_use == 0
