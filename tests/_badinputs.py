"""The building blocks of the bad-input inventory of tests/test_bad_inputs.py (issue 8).

:class:`Case` is one bad input and :class:`Env` the private folders it runs in; the other functions
make a case's ``setup`` (corrupt a private copy of the region pack, write a file into ``env.tmp``,
patch a setting) or its ``call`` (:func:`_download`). They keep the names the table uses.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _osmgen
import pytest
from shapely.geometry import LineString

from corridor import _http, settings
from corridor.data import datasets

DEAD_URL = "http://127.0.0.1:9/armenia-latest.osm.pbf"


@dataclass
class Env:
    """Private folders for one case; ``mp`` patches settings for the case only."""

    tmp: Path
    cache: Path
    out: Path
    mp: pytest.MonkeyPatch

    def pack(self) -> Path:
        """Copy the region pack into ``tmp/data/region`` and point settings at it."""
        src = datasets.data_dir() / "region"
        dst = self.tmp / "data" / "region"
        shutil.copytree(src, dst)
        self.mp.setattr(settings, "data_folder", self.tmp / "data")
        return dst


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : str
        Unique, descriptive test id.
    call : callable or None
        ``call(env)`` must raise ``exc``; ``None`` for CLI-only cases (usage errors).
    exc : type or None
        Exact exception class expected from ``call``.
    builtin : type or None
        The built-in exception ``exc`` must also be.
    fragments : tuple of str
        Substrings the message must contain (the offending value, the file ...).
    argv : tuple of str or None
        Command line for ``corridor.cli.main``; it must print one line and exit 2,
        and that line must contain ``fragments``.
    setup : callable or None
        ``setup(env)`` runs before the snapshot (prepare bad files, patch settings).
    """

    id: str
    call: Callable[[Env], Any] | None
    exc: type[BaseException] | None
    builtin: type[BaseException] | None
    fragments: tuple[str, ...]
    argv: tuple[str, ...] | None = None
    setup: Callable[[Env], Any] | None = None


def _line(*pts: tuple[float, float]) -> LineString:
    return LineString(pts)


# --- region-pack corruptions (run on a private copy) ---------------------------------------
def _rm(name: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        (env.pack() / name).unlink()

    return setup


def _flip_bytes(name: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        p = env.pack() / name
        data = bytearray(p.read_bytes())
        data[200:210] = b"##########"
        p.write_bytes(bytes(data))

    return setup


def _replace_with_matching_sum(name: str, content: bytes) -> Callable[[Env], None]:
    """Replace a pack file and update SHA256SUMS, so only the reader can notice."""

    def setup(env: Env) -> None:
        folder = env.pack()
        (folder / name).write_bytes(content)
        sums = folder / "SHA256SUMS"
        lines = [ln for ln in sums.read_text().splitlines() if not ln.endswith(name)]
        lines.append(f"{hashlib.sha256(content).hexdigest()}  {name}")
        sums.write_text("\n".join(lines) + "\n")

    return setup


def _write(name: str, content: bytes) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        (env.pack() / name).write_bytes(content)

    return setup


# --- settings and downloads ---------------------------------------------------------------
def _nowhere(env: Env) -> None:
    env.mp.setattr(settings, "data_folder", env.tmp / "no-such-folder")


def _setting(name: str, value: Any) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        env.mp.setattr(settings, name, value)

    return setup


def _download(env: Env, url: str = DEAD_URL, dest: Any = None, **kw: Any) -> Any:
    return _http.download(url, env.cache / "osm" / "a.osm.pbf" if dest is None else dest, **kw)


# --- files: OSM, DEM, scenario TOML, unit costs (issue 8, part 2) ---------------------------
def _file(name: str, content: bytes | str | Callable[[Env], bytes]) -> Callable[[Env], None]:
    """Write ``tmp/name`` (bytes, text, or bytes computed from the env) and chdir to ``tmp``."""

    def setup(env: Env) -> None:
        data = content(env) if callable(content) else content
        p = env.tmp / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        env.mp.chdir(env.tmp)

    return setup


def _valid_osm(fmt: str) -> Callable[[Env], bytes]:
    def make(env: Env) -> bytes:
        folder = env.tmp / "gen"
        folder.mkdir(exist_ok=True)
        data = _osmgen.small(folder, fmt).read_bytes()
        shutil.rmtree(folder)
        return data

    return make


def _half(make: Callable[[Env], bytes]) -> Callable[[Env], bytes]:
    return lambda env: (lambda d: d[: len(d) // 2])(make(env))
