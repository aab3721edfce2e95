"""The one base for errors meant for an editor.

An `EditorError`'s str() is one line written for the person at the keyboard
("article #4 must be approved before it is published"): the CLI prints it as
`copydesk: error: ...` and the desktop app shows it as it is, with no
traceback in the log. Anything else reaching the top is a bug.
"""

from __future__ import annotations


class EditorError(Exception):
    """A request that cannot be met, for a reason the editor can act on; str() is one line."""
