"""Read a box-drawn rich table back from terminal output: the lines of each row, and each row's cells."""

from __future__ import annotations


def blocks(out: str, start: str) -> list[list[str]]:
    """The lines of the first box-drawn table in ``out`` from the line starting with ``start`` to its bottom,
    cut into blocks at the row rules."""
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(start))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    found: list[list[str]] = [[]]
    for line in lines[top + 1:bottom]:
        if line.startswith("├"):
            found.append([])
        else:
            found[-1].append(line)
    return found


def body_cells(out: str) -> list[list[list[str]]]:
    """Cells of each body row of the first box-drawn table in ``out`` (its header ruled off with ``┡``):
    rows -> columns -> lines."""
    return [[list(col) for col in zip(*(line.split("│")[1:-1] for line in b), strict=True)]
            for b in blocks(out, "┡")]
