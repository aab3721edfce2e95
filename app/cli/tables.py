"""Terminal tables for the list commands: fit the terminal, never wrap a short value, plain when piped.

On a terminal, every column is as wide as its longest value, except the flexible
ones (keyword, headline, source), which take the room that is left and are cut
with an ellipsis; when even that does not fit, the least useful columns are left
out, highest `drop` first. Piped or redirected, the table is tab-separated text
with a header line and every value whole, for `cut`, `awk` and spreadsheets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console

ELLIPSIS = "\u2026"
# What rich's SIMPLE_HEAD box with padding (0, 1) and no edge adds around the cells:
# one space of padding each side and a one-character divider between columns.
_PER_COLUMN = 3
_EDGES = -1
# Columns this dispensable (`drop` >= OPTIONAL) give their room to a keyword or headline that would be cut.
OPTIONAL = 4


@dataclass(frozen=True)
class Column:
    header: str
    flexible: bool = False      # takes the spare width; its values are cut to fit
    min_width: int = 12         # a flexible column is not squeezed below this (or its longest value)
    drop: int = 0               # 0: always shown; otherwise left out at narrow widths, highest first (see OPTIONAL)
    justify: Literal["left", "right"] = "left"


def elide(text: str, width: int) -> str:
    """The text cut to `width` characters with an ellipsis at the end when it is longer."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)].rstrip() + ELLIPSIS if width > 0 else ""


def layout(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> tuple[list[int], list[int]]:
    """Which columns to show (indexes) and how wide each is, for a table `width` characters wide.

    Columns with `drop` >= OPTIONAL go as soon as a flexible column would be cut; the others
    only when the table cannot fit with the flexible columns at their minimum.
    """
    natural = [max([len(c.header), *(len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    floors = [min(natural[i], max(c.min_width, len(c.header))) if c.flexible else natural[i]
              for i, c in enumerate(columns)]

    def overhead(indexes: list[int]) -> int:
        return _PER_COLUMN * len(indexes) + _EDGES

    def fitted(indexes: list[int]) -> dict[int, int]:
        widths = {i: natural[i] for i in indexes}
        excess = sum(widths.values()) + overhead(indexes) - width
        while excess > 0:   # shrink the flexible columns, the one with most to spare first
            widest = max(indexes, key=lambda i: widths[i] - floors[i])
            if widths[widest] <= floors[widest]:
                break
            widths[widest] -= 1
            excess -= 1
        return widths

    shown = list(range(len(columns)))
    droppable = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: (-columns[i].drop, -i))
    while sum(floors[i] for i in shown) + overhead(shown) > width and droppable:
        shown.remove(droppable.pop(0))
    widths = fitted(shown)
    while (any(widths[i] < natural[i] for i in shown if columns[i].flexible)
           and droppable and columns[droppable[0]].drop >= OPTIONAL):
        shown.remove(droppable.pop(0))
        widths = fitted(shown)
    return shown, [widths[i] for i in shown]


def print_table(console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """The table on the console: fitted to its width on a terminal, tab-separated when piped."""
    if not console.is_terminal:
        lines = ["\t".join(c.header for c in columns)]
        lines.extend("\t".join(value.replace("\t", " ").replace("\n", " ") for value in row) for row in rows)
        console.file.write("\n".join(lines) + "\n")
        return
    from rich import box
    from rich.table import Table

    shown, widths = layout(columns, rows, console.width)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1), expand=False)
    for index, column_width in zip(shown, widths, strict=True):
        column = columns[index]
        table.add_column(column.header, justify=column.justify, no_wrap=True, overflow="ellipsis",
                         min_width=column_width, max_width=column_width)
    for row in rows:
        table.add_row(*(elide(row[i], w) for i, w in zip(shown, widths, strict=True)))
    console.print(table, markup=False)
    hidden = [columns[i].header for i in range(len(columns)) if i not in shown]
    if hidden:
        console.print(f"(hidden at this width: {', '.join(hidden)})",
                      markup=False, style="dim")
