"""Reading an editor's file safely, and writing one whole or not at all.

Reading: size checked before reading, never more than the
limit read, only regular files, and text decoded as UTF-8 or BOM-marked UTF-16.

Keyword imports, `analyze FILE` and its `--source` files, and attached source files are
read through here, so a FIFO, /dev/zero, a directory or a 3 GB file is one clear line instead of a
hang or a MemoryError.

Writing (exports, published articles): `write_text_atomically` writes beside the
target and renames, so a crash never leaves half a file under the real name.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from engine.errors import EditorError


class FileReadError(EditorError):
    """The file cannot be read as asked; str() is one line for the editor."""


def _megabytes(limit: int) -> str:
    return f"{limit / 1_048_576:g} MB"


def read_capped(path: Path | str, limit: int, *, label: str | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; messages name it `label`
    (default: the path).

    O_NONBLOCK keeps open() from waiting for a writer on a FIFO; the file is then
    checked with fstat (the thing opened, not a name that could change), and at most
    limit + 1 bytes are read, so a file that grows or lies about its size is still caught.
    """
    path = Path(path)
    name = label or str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except IsADirectoryError:
        raise FileReadError(f"{name} is a folder, not a file") from None
    except OSError as error:
        raise FileReadError(f"cannot read {name}: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise FileReadError(f"{name} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileReadError(f"{name} is not a regular file (a device, pipe or socket); save it to a file first")
        if info.st_size > limit:
            raise FileReadError(f"{name} is {info.st_size / 1_048_576:.1f} MB; the limit is {_megabytes(limit)}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1_048_576))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise FileReadError(f"cannot read {name}: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileReadError(f"{name} is larger than {_megabytes(limit)}, the limit")
    return data


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def has_utf16_bom(data: bytes) -> bool:
    return data.startswith(_UTF16_BOMS)


def decode_text(data: bytes, origin: str) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM (Excel's "Unicode text").

    Anything else is refused rather than guessed: a wrong guess silently changes the
    editor's words."""
    if has_utf16_bom(data):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileReadError(f"{origin} is not valid UTF-16 text (bad bytes at offset {error.start})") from None
    if b"\x00" in data[:8192]:
        raise FileReadError(f"{origin} is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileReadError(f"{origin} is not UTF-8 or UTF-16 text (bad byte at offset {error.start}); "
                            "save it as UTF-8") from None


def write_text_atomically(path: Path, content: str) -> Path:
    """`content` as UTF-8 in `path` (its folder made if need be), written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)
    return path
