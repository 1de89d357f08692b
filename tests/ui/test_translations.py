"""Every customer-facing string has its Chinese, and none is left in English.

Two checks: the committed .ts is what ``pyside6-lupdate`` makes from ui/ today
(a new string makes it stale) with every message finished; and every screen of
the gallery, shown in Chinese, has no English sentence on it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from config.loader import load_settings
from devtools.gallery import preview_window, sample_views
from kiosk.money import Language

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "ui" / "i18n" / "kiosk_zh_CN.ts"
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")
ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,}[ ,.:]+[A-Za-z]{2,}")
ALLOWED = {"English"}  # the language button names the other language in that language


def messages(path: Path) -> dict[tuple[str, str], str | None]:
    """(context, source) → the translation's type attribute (None when finished)."""
    found = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            state = translation.get("type")
            if not (translation.text or "").strip() and state is None:
                state = "empty"
            found[(name, message.findtext("source") or "")] = state
    return found


def test_the_ts_file_holds_every_string_of_ui_and_each_is_translated(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    subprocess.run([str(LUPDATE), *sources, "-locations", "none", "-no-obsolete",
                    "-source-language", "en", "-target-language", "zh_CN", "-ts", str(fresh)],
                   check=True, capture_output=True)  # fmt: skip
    in_code, committed = set(messages(fresh)), messages(TS)
    assert in_code - set(committed) == set(), "strings missing from the .ts: run make ts"
    assert set(committed) - in_code == set(), "strings in the .ts no longer in ui/: run make ts"
    unfinished = sorted(key for key, state in committed.items() if state is not None)
    assert unfinished == [], f"untranslated: {unfinished}"


def test_a_string_outside_translate_is_caught(tmp_path: Path) -> None:
    """The check above fails on a new string: add one in a copy of ui/."""
    copy = tmp_path / "extra.py"
    copy.write_text('from ui.i18n import translate\nX = translate("Attract", "A new line")\n')
    fresh = tmp_path / "fresh.ts"
    subprocess.run([str(LUPDATE), str(copy), "-locations", "none", "-ts", str(fresh)],
                   check=True, capture_output=True)  # fmt: skip
    assert ("Attract", "A new line") not in messages(TS)
    assert messages(fresh)[("Attract", "A new line")] == "unfinished"


@pytest.mark.parametrize("orientation", [(1080, 1920), (1920, 1080)])
def test_no_english_sentence_on_any_chinese_screen(
    qtbot: QtBot, orientation: tuple[int, int]
) -> None:
    window = preview_window(load_settings(), Language.ZH, orientation)
    qtbot.addWidget(window)
    offending = []
    for name, view in sample_views():
        window.show_view(view)
        for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
            text = widget.text()
            if widget.isVisible() and text not in ALLOWED and ENGLISH_WORDS.search(text):
                offending.append((name, text))
    assert offending == []
    # and the same screens in English do show English (the check can see it)
    window.languages.use(Language.EN)
    window.rerender()
    texts = [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    assert any(ENGLISH_WORDS.search(t) for t in texts)
