"""What the attract screen shows before the settings are validated.

The kiosk paints its attract screen first and validates its settings after
(the schema, pydantic and sixteen models, costs more than the paint itself).
The first look is read from the settings tree as it is: a value of the wrong
shape is left out (the validation that follows the paint refuses the file and
says why), and the validated settings give the same look once they are there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config.settings import Settings


@dataclass(frozen=True)
class FirstLook:
    operator_name_zh: str
    operator_name_en: str
    hotline: str
    default_language: str
    services: tuple[tuple[str, str], ...]  # each enabled service's name: (zh, en)

    @classmethod
    def of(cls, settings: Settings) -> FirstLook:
        kiosk = settings.kiosk
        return cls(
            kiosk.operator_name_zh,
            kiosk.operator_name_en,
            kiosk.hotline,
            kiosk.default_language,
            tuple((s.name_zh, s.name_en) for s in settings.services.values() if s.enabled),
        )

    @classmethod
    def of_tree(cls, tree: Mapping[str, Any]) -> FirstLook:
        kiosk = _table(tree.get("kiosk"))
        language = kiosk.get("default_language")
        services = []
        for section in _table(tree.get("services")).values():
            service = _table(section)
            names = (service.get("name_zh"), service.get("name_en"))
            if service.get("enabled", True) is True and all(isinstance(n, str) for n in names):
                services.append((str(names[0]), str(names[1])))
        return cls(
            _text(kiosk.get("operator_name_zh")),
            _text(kiosk.get("operator_name_en")),
            _text(kiosk.get("hotline")),
            language if language in ("zh", "en") else "zh",
            tuple(services),
        )


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
