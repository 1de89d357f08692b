"""Load settings: a TOML file over the embedded defaults, validated.

Tables merge key by key; any other value (lists included) in the file replaces
the default. Errors are raised as ``ConfigError`` whose message names each bad
key by its dotted path and says why.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.first_look import FirstLook

if TYPE_CHECKING:  # the schema (pydantic) loads on the first validation, not with the tree
    from pydantic import ValidationError

    from config.settings import Settings

DEFAULT_FILES = ("kiosk.toml", "services.toml", "tariffs.toml")
# What the maintenance menu sets on the kiosk (location, device connections),
# in <paths.data_dir>: machine-written JSON, over the site's file.
LOCAL_FILE = "settings.local.json"


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the key and the reason."""


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def defaults() -> dict[str, Any]:
    """The embedded defaults from ``config/defaults/``, merged in file order."""
    tree: dict[str, Any] = {}
    folder = resources.files("config") / "defaults"
    for name in DEFAULT_FILES:
        tree = merge(tree, tomllib.loads((folder / name).read_text(encoding="utf-8")))
    return tree


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        loc = list(item["loc"])
        if len(loc) > 2 and loc[0] == "tariffs" and _is_union_tag(loc[2]):
            del loc[2]  # pydantic names the chosen member of the tagged union
        key = ".".join(str(part) for part in loc)
        reason = item["msg"].removeprefix("Value error, ")
        lines.append(f"{key or '(top level)'}: {reason}")
    return "\n".join(lines)


def _is_union_tag(part: object) -> bool:
    return part in ("tiered", "parking", "property")


def validate(tree: Mapping[str, Any], source: str = "settings") -> Settings:
    from pydantic import ValidationError  # noqa: PLC0415 - see the imports above

    from config.settings import Settings  # noqa: PLC0415

    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(f"{source}:\n{_describe(exc)}") from None


def local_tree(path: Path | None = None) -> dict[str, Any]:
    """Embedded defaults, overridden by the kiosk's own file when given."""
    return merge(defaults(), _read(path)) if path is not None else defaults()


def local_changes(data_dir: Path) -> dict[str, Any]:
    """The maintenance menu's changes, or nothing (an unreadable file is reported)."""
    path = data_dir / LOCAL_FILE
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return tree


def kiosk_tree(path: Path | None = None) -> dict[str, Any]:
    """Embedded defaults, the site's file, then the maintenance menu's changes."""
    tree = local_tree(path)
    data_dir = tree.get("paths", {}).get("data_dir")
    return merge(tree, local_changes(Path(data_dir))) if isinstance(data_dir, str) else tree


class SettingsTree:
    """A kiosk's settings read but not yet validated: the attract screen paints
    from its ``look``, and ``validated()`` checks it (once) after the paint.
    ``SettingsTree.of`` wraps settings a caller has validated already."""

    def __init__(
        self, tree: Mapping[str, Any], source: str, validated: Settings | None = None
    ) -> None:
        self.tree = tree
        self.source = source
        self._settings = validated
        self.look = FirstLook.of(validated) if validated else FirstLook.of_tree(tree)

    @classmethod
    def of(cls, settings: Settings) -> SettingsTree:
        return cls({}, "settings validated by the caller", settings)

    @property
    def is_validated(self) -> bool:
        return self._settings is not None

    def validated(self) -> Settings:
        """The settings, or ``ConfigError`` naming each bad key."""
        if self._settings is None:
            self._settings = validate(self.tree, self.source)
        return self._settings


def load_settings(path: Path | None = None, bundle: Mapping[str, Any] | None = None) -> Settings:
    """Embedded defaults, then the kiosk's own file (``path``), then the config
    of the signed bundle in use (which may set only fee tables, services and
    customer-facing settings; see ``config.bundle``)."""
    tree = local_tree(path)
    source = str(path) if path is not None else "embedded defaults"
    if bundle is not None:
        tree = merge(tree, bundle)
        source += " + config bundle"
    return validate(tree, source)
