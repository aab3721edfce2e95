"""Render the app icon (resources/icons/copydesk.svg) for the desktop builds.

    python packaging/linux/make_icons.py OUT_DIR

writes, with Qt's own SVG renderer (QtSvg is part of PySide6-Essentials):

    OUT_DIR/hicolor/<N>x<N>/apps/copydesk.png   N = 16 32 48 64 128 256 512   (freedesktop)
    OUT_DIR/hicolor/scalable/apps/copydesk.svg
    OUT_DIR/copydesk.ico                        16-256 px, PNG entries          (Windows)
    OUT_DIR/copydesk.icns                       16-1024 px, PNG entries         (macOS)

The .ico and .icns containers are written by hand: both are a short header and
a table of PNG images, and that keeps Pillow out of the build.
"""

from __future__ import annotations

import shutil
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "resources" / "icons" / "copydesk.svg"
LINUX_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS entry types for PNG data, by pixel size (the @2x types share the pixel data).
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
              (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256),
              (b"ic14", 512))


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"could not encode a {size} px PNG")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in sorted(images.items()):
        side = 0 if size >= 256 else size       # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(images: dict[int, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(images[size])) + images[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SOURCE}", file=sys.stderr)
        return 1
    sizes = sorted(set(LINUX_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    pngs = {size: render_png(renderer, size) for size in sizes}
    for size in LINUX_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / "copydesk.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    scalable = out / "hicolor" / "scalable" / "apps" / "copydesk.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    (out / "copydesk.ico").write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    (out / "copydesk.icns").write_bytes(icns(pngs))
    print(f"make_icons: {len(LINUX_SIZES)} PNG sizes, copydesk.ico and copydesk.icns in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
