"""The Qt bindings themselves: a refcount regression that crashes the app, not just a test."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject


def test_void_calls_keep_their_reference_to_none(qapp) -> None:
    """PySide6 6.12.0 on Python 3.11 loses a reference to None per void call (hence the pin)."""
    thing = QObject()
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(1000):
        thing.setObjectName("x")
    gc.collect()
    assert sys.getrefcount(None) > before - 500
