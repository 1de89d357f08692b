"""``kiosk-sim``: run a device simulator standalone.

    kiosk-sim bill --protocol id003|cctalk [--checksum simple|crc16] [--no-echo]
    kiosk-sim printer [--port 9100 | --pty] [--out DIR] [--paper 58|80]
    kiosk-sim card [insert account 1234567890 | insert unionpay | insert visa | ...]

prints the pseudo-terminal's path (give it to the kiosk as the acceptor's
port) and takes commands on standard input; ``help`` lists them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from drivers.cctalk.frames import Checksum
from drivers.sim import receipt_png
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.escpos_device import EscposDevice, Receipt
from drivers.sim.escpos_server import EscposServer
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from drivers.sim.vicc import (
    UNIONPAY,
    VISA,
    AccountCard,
    EmvCard,
    UnknownCard,
    VirtualCard,
    VpcdSlot,
)
from drivers.sim.vicc import MuteCard as MuteVirtualCard

SIMULATORS = {
    "bill": "bill acceptor (ID-003 or ccTalk) on a pseudo-terminal",
    "printer": "ESC/POS receipt printer on TCP or a pseudo-terminal",
    "card": "smart cards through pcscd and the vpcd reader",
}

CCTALK_STATUS = {
    "jam": 6,
    "jam-stacker": 7,
    "cashbox-full": 14,
    "remove-cashbox": 11,
    "restore-cashbox": 12,
    "cheat": 8,
    "string": 18,
}


def id003_commands(device: Id003Device) -> dict[str, tuple[str, Callable[[list[str]], object]]]:
    return {
        "insert": ("insert N: a note of N yuan", lambda a: device.insert(int(a[0]))),
        "jam": ("jam in the acceptor", lambda a: device.jam()),
        "jam-stacker": ("jam in the stacker", lambda a: device.jam(in_stacker=True)),
        "cashbox-full": ("the cashbox is full", lambda a: device.cashbox_full()),
        "remove-cashbox": ("the cashbox is pulled out", lambda a: device.remove_cashbox()),
        "restore-cashbox": ("the cashbox is back", lambda a: device.restore_cashbox()),
        "cheat": ("a cheat attempt", lambda a: device.cheat()),
        "fail": ("fail [CODE]: a failure, 0xA2 by default", lambda a: device.fail(_code(a))),
        "clear": ("clear a jam or failure", lambda a: device.clear()),
        "power-cycle": (
            "power-cycle [acceptor|stacker]: with a note inside",
            lambda a: device.power_cycle(a[0] if a else None),
        ),
        "noise": ("garbage before the next reply", lambda a: device.noise()),
        "corrupt": ("a bad CRC on the next reply", lambda a: device.corrupt_next()),
        "unplug": ("stop answering", lambda a: setattr(device, "silent", True)),
        "plug": ("answer again", lambda a: setattr(device, "silent", False)),
        "slow": ("slow MS: delay every reply", lambda a: _slow(device, a)),
        "status": ("show the state", lambda a: print(device.status.name, device.stacked)),
    }


def cctalk_commands(device: CcTalkDevice) -> dict[str, tuple[str, Callable[[list[str]], object]]]:
    commands: dict[str, tuple[str, Callable[[list[str]], object]]] = {
        "insert": ("insert N: a note of N yuan", lambda a: device.insert(int(a[0]))),
        "power-cycle": ("power off and on (the counter goes to 0)", lambda a: device.power_cycle()),
        "flood": ("flood N: N events at once (over 5 are lost)", lambda a: device.flood(int(a[0]))),
        "noise": ("garbage before the next reply", lambda a: device.noise()),
        "unplug": ("stop answering", lambda a: setattr(device, "silent", True)),
        "plug": ("answer again", lambda a: setattr(device, "silent", False)),
        "slow": ("slow MS: delay every reply", lambda a: _slow(device, a)),
        "status": ("show the counter and cashbox", lambda a: print(device.counter, device.stacked)),
    }  # fmt: skip
    for name, code in CCTALK_STATUS.items():
        commands[name] = (f"bill event status {code}", _status(device, code))
    return commands


def _status(device: CcTalkDevice, code: int) -> Callable[[list[str]], object]:
    return lambda args: device.status(code)


def _code(args: list[str]) -> int:
    return int(args[0], 0) if args else 0xA2


def _slow(device: Id003Device | CcTalkDevice, args: list[str]) -> None:
    device.delay_s = int(args[0]) / 1000 if args else 0.0


def serve(address: str, commands: dict[str, tuple[str, Callable[[list[str]], object]]]) -> None:
    print(address, flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] in ("help", "?"):
            for name, (text, _) in sorted(commands.items()):
                print(f"  {name:16} {text}")
            print("  quit             stop the simulator", flush=True)
            continue
        if words[0] in ("quit", "exit"):
            return
        entry = commands.get(words[0])
        if entry is None:
            print(f"unknown command {words[0]!r}: try help", flush=True)
            continue
        try:
            entry[1](words[1:])
        except (ValueError, IndexError) as exc:
            print(f"{words[0]}: {exc}", flush=True)
        else:
            print("ok", flush=True)


def printer_commands(device: EscposDevice) -> dict[str, tuple[str, Callable[[list[str]], object]]]:
    def setter(name: str, value: bool) -> Callable[[list[str]], object]:
        return lambda args: setattr(device, name, value)

    return {
        "paper-out": ("the roll is empty", setter("paper_out", True)),
        "paper-in": ("a new roll", setter("paper_out", False)),
        "paper-low": ("the roll is near its end", setter("paper_near_end", True)),
        "paper-ok": ("the roll is not near its end", setter("paper_near_end", False)),
        "cover-open": ("open the cover", setter("cover_open", True)),
        "cover-close": ("close the cover", setter("cover_open", False)),
        "unplug": ("stop answering", setter("silent", True)),
        "plug": ("answer again", setter("silent", False)),
        "runs-out": ("runs-out N: the paper ends after N more lines", lambda a: setattr(
            device, "paper_runs_out_after", int(a[0]))),
        "status": ("show the state and receipts printed", lambda a: print(
            device.status.health.value, len(device.receipts), "receipts")),
    }  # fmt: skip


def _printer(args: argparse.Namespace) -> int:
    device = EscposDevice()
    width = 384 if args.paper == 58 else 576
    counter = iter(range(1, 1_000_000))

    def saved(receipt: Receipt) -> None:
        path = receipt_png.save(receipt, args.out / f"receipt-{next(counter):03d}.png", width)
        print(f"receipt printed: {path}", flush=True)

    device.on_receipt = saved
    if args.pty:
        with PtyServer(device) as server:
            serve(server.path, printer_commands(device))
    else:
        with EscposServer(device, port=args.port) as tcp:
            serve(f"{tcp.host}:{tcp.port}", printer_commands(device))
    return 0


CARDS = {
    "account": "account [NUMBER] [SERVICE]: an account IC card",
    "unionpay": "a UnionPay debit card (EMV test data)",
    "visa": "a Visa debit card (EMV test data)",
    "unknown": "a card with no known application",
    "mute": "a card that does not answer",
}


def _make_card(words: list[str]) -> VirtualCard:
    kind = words[0] if words else ""
    if kind == "account":
        number = words[1] if len(words) > 1 else "1234567890"
        service = words[2] if len(words) > 2 else "electricity"
        return AccountCard(account=number, service=service)
    if kind in ("unionpay", "visa"):
        return EmvCard(profile=UNIONPAY if kind == "unionpay" else VISA)
    if kind == "unknown":
        return UnknownCard()
    if kind == "mute":
        return MuteVirtualCard()
    raise ValueError(f"no card {kind!r}: {', '.join(CARDS)}")


def _cards(words: list[str], slot_number: int) -> int:
    slot = VpcdSlot(slot_number)

    def insert(args: list[str]) -> None:
        try:
            slot.insert(_make_card(args))
        except OSError as exc:
            raise ValueError(
                f"vpcd is not listening on port {slot.port} (is pcscd running?): {exc}"
            ) from None

    commands: dict[str, tuple[str, Callable[[list[str]], object]]] = {
        "insert": ("insert KIND [...]: " + "; ".join(CARDS.values()), insert),
        "remove": ("pull the card out", lambda a: slot.remove()),
        "pull-after": ("pull-after N: the card leaves after N more commands", lambda a: setattr(
            slot.card, "pull_after", slot.commands + int(a[0]))),
    }  # fmt: skip
    if words:
        if words[0] != "insert":
            print(f"unknown command {words[0]!r}: try insert", file=sys.stderr)
            return 2
        try:
            insert(words[1:])
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    try:
        serve(f"vpcd slot {slot_number} (port {slot.port})", commands)
    finally:
        slot.remove()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-sim", description=__doc__)
    parser.add_argument("device", choices=sorted(SIMULATORS))
    parser.add_argument("--protocol", choices=["id003", "cctalk"], default="id003")
    parser.add_argument("--checksum", choices=[c.value for c in Checksum], default="simple")
    parser.add_argument("--no-echo", action="store_true", help="ccTalk: no loop-back echo")
    parser.add_argument("--port", type=int, default=9100, help="printer: TCP port")
    parser.add_argument("--pty", action="store_true", help="printer: on a pty, not TCP")
    parser.add_argument("--out", type=Path, default=Path("var/printed"),
                        help="printer: folder for the PNG of each receipt")  # fmt: skip
    parser.add_argument("--paper", type=int, choices=[58, 80], default=80)
    parser.add_argument("--slot", type=int, choices=[0, 1], default=0, help="card: vpcd slot")
    parser.add_argument("words", nargs="*", help="card: a first command, e.g. insert unionpay")
    args = parser.parse_args(argv)
    if args.device == "printer":
        return _printer(args)
    if args.device == "card":
        return _cards(args.words, args.slot)
    if args.protocol == "id003":
        device = Id003Device()
        with PtyServer(device) as server:
            serve(server.path, id003_commands(device))
    else:
        cctalk = CcTalkDevice(checksum=Checksum(args.checksum), echo=not args.no_echo)
        with PtyServer(cctalk) as server:
            serve(server.path, cctalk_commands(cctalk))
    return 0
