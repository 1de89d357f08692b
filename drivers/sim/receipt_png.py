"""Render a simulated receipt to PNG, as the paper would look.

Characters sit on the printer's grid: 12 × 24 dots for Latin, 24 × 24 for
Chinese, magnified by the size commands; raster images are drawn dot for dot;
QR codes are drawn from their data at the module size the host asked for.
The CJK font is WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``) or Noto
CJK, whichever is installed.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import qrcode.main
from PIL import Image, ImageDraw, ImageFont

from drivers.printer.document import cells
from drivers.printer.fonts import cjk_font
from drivers.sim.escpos_device import Line, Receipt

DOT_W, DOT_H = 12, 24
MARGIN = 16


def render(receipt: Receipt, width_px: int = 576) -> Image.Image:
    path = cjk_font()
    blocks = [_block(line, width_px, path) for line in receipt.lines]
    height = sum(b.height for b in blocks) + 2 * MARGIN + (24 if receipt.cut else 0)
    page = Image.new("L", (width_px + 2 * MARGIN, max(height, 64)), 255)
    y = MARGIN
    for block, line in zip(blocks, receipt.lines, strict=True):
        x = MARGIN + {"left": 0, "center": (width_px - block.width) // 2}.get(
            line.align, width_px - block.width
        )
        page.paste(block, (max(MARGIN, x), y))
        y += block.height
    if receipt.cut:
        draw = ImageDraw.Draw(page)
        for x in range(0, page.width, 12):
            draw.line([(x, y + 12), (x + 6, y + 12)], fill=128)
    return page


def _block(line: Line, width_px: int, path: str) -> Image.Image:
    if line.kind == "feed":
        return Image.new("L", (1, DOT_H), 255)
    if line.kind == "image" and line.image is not None:
        w, h, data = line.image
        bitmap = Image.frombytes("1", (w, h), data)
        return bitmap.point(lambda v: 0 if v else 255).convert("L")  # set dot = black
    if line.kind == "qr":
        code: Any = qrcode.main.QRCode(border=2, box_size=max(1, line.qr_size))
        code.add_data(line.text)
        picture: Image.Image = code.make_image().get_image()
        return picture.convert("L")
    return _text(line, path)


def _text(line: Line, path: str) -> Image.Image:
    cell_w, cell_h = DOT_W * line.width, DOT_H * line.height
    width = max(1, cells(line.text)) * cell_w
    image = Image.new("L", (width, cell_h), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(path, size=int(cell_h * 0.8), index=1)
    x = 0
    for ch in line.text:
        span = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        draw.text((x, 0), ch, font=font, fill=0)
        if line.bold:
            draw.text((x + 1, 0), ch, font=font, fill=0)
        x += span * cell_w
    return image


def save(receipt: Receipt, path: Path, width_px: int = 576) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    render(receipt, width_px).save(path)
    return path
