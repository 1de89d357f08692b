"""``kiosk update``: software updates, gray and self-healing.

    kiosk update check    (kiosk-update.timer, as root) judge a release on
                          probation: healthy, or rolled back; otherwise ask
                          the central server for the release meant for this
                          kiosk, download it (resumably), install it beside
    kiosk update start    (kiosk.service's ExecStartPre, as root) count this
                          start against a release on probation (a crash loop
                          is rolled back before it starts again); switch to a
                          staged release the idle kiosk asked for
    kiosk update status   what is installed, staged, on probation, failed

The steps are in ``launcher/releases.py``; every step is reported to the
central server (``kiosk-central release status``), reports that cannot be
sent wait in the state folder for the next check.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from launcher import releases as r
from launcher.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, settings_of

if TYPE_CHECKING:
    import requests

    from config.settings import Settings


def update(args: argparse.Namespace) -> int:
    settings = settings_of(args.config)
    data = Path(settings.paths.data_dir)
    place = r.Place(args.root, args.state or data / "update", data)
    now = datetime.now(UTC)
    if args.action == "status":
        return _status(place, now)
    if r.installed(place) is None:
        print(f"{place.current}: no current release here", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.action == "start":
        return _start(place, settings, now)
    return _check(place, settings, now)


def _status(place: r.Place, now: datetime) -> int:
    print(f"installed: {r.installed(place) or '-'}")
    print(f"staged: {r.staged(place) or '-'}{' (switch asked)' if r.switch_asked(place) else ''}")
    found = r.gate(place)
    if found is None:
        print("on probation: -")
    else:
        verdict = r.judge(found, r.health(place), now)
        print(f"on probation: {found.to} (from {found.came_from}, {found.starts} starts): "
              f"{verdict.state}: {verdict.reason}")  # fmt: skip
    print(f"failed here: {', '.join(r.failed(place)) or '-'}")
    return EXIT_OK


def _start(place: r.Place, settings: Settings, now: datetime) -> int:
    found = r.started(place)
    if found is not None:
        verdict = r.judge(found, r.health(place), now)
        if verdict.state == "rollback":
            r.roll_back(place, found)
            _queue(place, found.to, "rolled_back", verdict.reason)
            print(f"rolled back to {found.came_from}: {verdict.reason}")
        return EXIT_OK
    waiting = r.staged(place)
    if waiting is None:  # an ask left from a release no longer staged
        (place.data / "switch-asked").unlink(missing_ok=True)
    elif r.switch_asked(place):
        section = settings.update
        gate = r.switch(place, waiting, now, ready_s=section.ready_s, window_s=section.window_s)
        _queue(place, waiting, "switched", f"from {gate.came_from}")
        print(f"switched to {waiting} (from {gate.came_from}), on probation")
    return EXIT_OK


def _check(place: r.Place, settings: Settings, now: datetime) -> int:
    from kiosk.shell.central import load_credentials
    from offline_queue import http

    found = r.gate(place)
    if found is not None and r.installed(place) == found.to:
        verdict = r.judge(found, r.health(place), now)
        if verdict.state == "healthy":
            removed = r.passed(place, found)
            _queue(place, found.to, "healthy", verdict.reason)
            print(f"{found.to}: healthy ({verdict.reason}); removed {removed or 'none'}")
        elif verdict.state == "rollback":
            r.roll_back(place, found)
            _queue(place, found.to, "rolled_back", verdict.reason)
            print(f"rolled back to {found.came_from}: {verdict.reason}")
            _restart_kiosk()
        else:
            print(verdict.reason)
    section = settings.central
    credentials = load_credentials(Path(settings.paths.data_dir) / section.credentials_file)
    if credentials is None:
        print("not enrolled: no updates", file=sys.stderr)
        return EXIT_OK
    session = http.session(section.verify, credentials.token)
    try:
        _send_queued(place, session, section.url.rstrip("/"), section.timeout_s)
        if r.gate(place) is None:
            return _fetch(place, settings, session, now)
        return EXIT_OK
    finally:
        session.close()


def _fetch(place: r.Place, settings: Settings, session: requests.Session, now: datetime) -> int:
    import requests

    from config.release import ReleaseError, parse, refusal
    from offline_queue import releases as download

    section, key = settings.central, settings.central.operator_public_key_hex
    base, timeout = section.url.rstrip("/"), section.timeout_s
    try:
        raw = download.offer(session, base, timeout)
        if raw is None:
            print("no release is offered to this kiosk")
            return EXIT_OK
        offered = parse(raw, key)
    except (requests.RequestException, download.DownloadError, ReleaseError) as exc:
        print(f"update check: {exc}", file=sys.stderr)
        return EXIT_FAILED
    running = str(r.installed(place))
    why = refusal(offered, running, now, r.failed(place))
    if why is not None:
        print(f"{offered.version}: not installed: {why}")
        said = offered.version in r.failed(place) or offered.version == running
        if not said and why != _queued_refusal(place, offered.version):
            _queue(place, offered.version, "refused", why)  # said once per version and reason
            _send_queued(place, session, base, timeout)
        return EXIT_OK
    if r.staged(place) == offered.version:
        print(f"{offered.version}: staged, waiting for the kiosk to be idle")
        return EXIT_OK
    try:
        _report(session, base, timeout, offered.version, "downloading", "")
        deb = download.download(session, base, offered, place.downloads, timeout * 12)
        r.stage(place, deb, offered.version)
    except (requests.RequestException, download.DownloadError, r.StageError) as exc:
        print(f"update {offered.version}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    deb.unlink()
    _queue(place, offered.version, "staged", "installed beside, waiting for an idle kiosk")
    _send_queued(place, session, base, timeout)
    print(f"{offered.version}: staged; the kiosk switches when no customer is in a session")
    return EXIT_OK


def _queue(place: r.Place, version: str, state: str, detail: str) -> None:
    from offline_queue.files import write_atomically

    queued = _queued(place)
    queued.append({"version": version, "state": state, "detail": detail})
    write_atomically(place.state / "reports.json", json.dumps(queued).encode())


def _queued(place: r.Place) -> list[dict[str, str]]:
    try:
        found = json.loads((place.state / "reports.json").read_text())
    except (OSError, ValueError):
        return []
    return [dict(x) for x in found] if isinstance(found, list) else []


def _queued_refusal(place: r.Place, version: str) -> str | None:
    path = place.state / "refused.json"
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        found = {}
    return found.get(version) if isinstance(found, dict) else None


def _send_queued(place: r.Place, session: requests.Session, base: str, timeout: float) -> None:
    import requests

    from offline_queue.files import write_atomically

    queued = _queued(place)
    for n, item in enumerate(queued):
        try:
            _report(session, base, timeout, item["version"], item["state"], item["detail"])
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if not 400 <= status < 500:
                write_atomically(place.state / "reports.json", json.dumps(queued[n:]).encode())
                print(f"reports wait for the next check: HTTP {status}", file=sys.stderr)
                return
            print(f"report refused (HTTP {status}), dropped: {item}", file=sys.stderr)
            continue
        except requests.RequestException as exc:
            rest = json.dumps(queued[n:]).encode()
            write_atomically(place.state / "reports.json", rest)
            print(f"reports wait for the next check: {type(exc).__name__}", file=sys.stderr)
            return
        if item["state"] == "refused":  # said once per version and reason
            refused = {item["version"]: item["detail"]}
            write_atomically(place.state / "refused.json", json.dumps(refused).encode())
    (place.state / "reports.json").unlink(missing_ok=True)


def _report(
    session: requests.Session, base: str, timeout: float, version: str, state: str, detail: str
) -> None:
    from offline_queue import releases as download

    download.report(session, base, version, state, detail, timeout)


def _restart_kiosk() -> None:
    """After a rollback, the kiosk runs the release it came from (where systemd runs)."""
    if not Path("/run/systemd/system").exists() or shutil.which("systemctl") is None:
        print("no systemd here: restart the kiosk yourself")
        return
    subprocess.run(["systemctl", "restart", "kiosk.service"], check=False)  # noqa: S607
