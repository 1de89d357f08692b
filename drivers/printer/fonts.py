"""The CJK font used where Chinese must be drawn as pixels (raster receipts, PNGs)."""

from __future__ import annotations

from pathlib import Path

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def cjk_font() -> str:
    for path in FONT_PATHS:
        if Path(path).exists():
            return path
    raise FileNotFoundError(
        "no CJK font: install fonts-wqy-microhei or fonts-noto-cjk (make test does)"
    )
