"""Read back the text of a rank order and of ranks (corridor.evaluation.ranking.order_text, ranks_text).

A name reads either bare (no separator character, no double quote mark, no space at its ends) or in
``“…”`` with each ``“`` and ``”`` inside written twice; :func:`read_order` and :func:`read_ranks` accept
exactly one reading of a text, or fail. ``ODD_NAMES`` are route names that hold the separators and quotes.
"""

from __future__ import annotations

import re

#: One name: in “…” (each quote mark inside twice) or bare.
_NAME = r"“(?:[^“”]|““|””)*”|[^>=;“”\"\s](?:[^>=;“”\"]*[^>=;“”\"\s])?"


def _unquote(token: str) -> str:
    if not token.startswith("“"):
        return token
    return token[1:-1].replace("““", "“").replace("””", "”")


def read_order(text: str) -> tuple[tuple[str, ...], ...]:
    """The groups of ranks that ``order_text`` wrote: one reading only, or an AssertionError."""
    group = rf"(?:{_NAME})(?: = (?:{_NAME}))*"
    assert re.fullmatch(rf"{group}(?: > {group})*", text), text
    out, rest = [], text
    while rest:
        names = []
        while True:
            token = re.match(_NAME, rest).group(0)
            names.append(_unquote(token))
            rest = rest[len(token):]
            if not rest.startswith(" = "):
                break
            rest = rest[3:]
        out.append(tuple(names))
        assert rest == "" or rest.startswith(" > "), rest
        rest = rest[3:]
    return tuple(out)


def read_ranks(text: str) -> list[tuple[str, int]]:
    """The (name, rank) pairs that ``ranks_text`` wrote."""
    assert re.fullmatch(rf"(?:{_NAME})=\d+(?:; (?:{_NAME})=\d+)*", text), text
    return [(_unquote(m.group(1)), int(m.group(2))) for m in re.finditer(rf"({_NAME})=(\d+)(?:; |$)", text)]


ODD_NAMES = ["A = 1", "B=2; C=3", "the “new” line", 'Route "7" > ferry', "”; x=1 > “", "“", "plain road"]
