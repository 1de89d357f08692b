"""What the kiosk's commands share: exit codes and the settings they read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from config.loader import SettingsTree, kiosk_tree

if TYPE_CHECKING:
    from config.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_AVAILABLE = 0, 1, 2, 3


def settings_tree(path: Path | None) -> SettingsTree:
    """The kiosk's settings, read: defaults, the site's file, the maintenance menu's changes."""
    return SettingsTree(kiosk_tree(path), str(path) if path else "embedded defaults")


def settings_of(path: Path | None) -> Settings:
    """The same, validated."""
    return settings_tree(path).validated()
