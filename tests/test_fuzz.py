"""Fuzzing (issue 8): the OSM PBF/XML readers, the scenario TOML loader and the cost loader.

Every input yields a result or a :class:`~corridor.CorridorError`: never another
exception, a hang (``signal.alarm`` guard) or a crash. Bounded: about 60 examples each.
"""

from __future__ import annotations

import math
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor import CorridorError, scenarios
from corridor import settings as csettings
from corridor.costs import CostParams
from corridor.network import osm

sys.path.insert(0, str(Path(__file__).parent))
import _osmgen

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_TMP = Path(tempfile.mkdtemp(prefix="corridor-fuzz-"))
_SEED = {fmt: _osmgen.small(_TMP, fmt).read_bytes() for fmt in ("osm", "osm.pbf")}
RUNS: dict[str, int] = {}  # inputs started, per fuzz target
OUTCOMES: dict[str, Counter[str]] = {}  # inputs that ended: "ok" or the CorridorError class name


@contextmanager
def _alarm(seconds: int = 10) -> Iterator[None]:
    def boom(signum: int, frame: Any) -> None:
        raise TimeoutError(f"parser hung for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _result_or_corridor_error(name: str, fn: Callable[[], Any]) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1
    with _alarm():
        try:
            fn()
        except CorridorError as exc:
            outcome = type(exc).__name__
        else:
            outcome = "ok"
    OUTCOMES.setdefault(name, Counter())[outcome] += 1


def _mutate(seed: bytes) -> st.SearchStrategy[bytes]:
    cut = st.integers(0, len(seed)).map(lambda n: seed[:n])
    flips = st.lists(st.tuples(st.integers(0, len(seed) - 1), st.integers(0, 255)), min_size=1,
                     max_size=8).map(lambda fl: _flip(seed, fl))
    inject = st.tuples(st.integers(0, len(seed)), st.sampled_from(
        [b"<node id='x' lat='nan' lon='1e999'/>", b"<way id='-1'><nd ref='999999'/></way>", b"<!DOCTYPE",
         b"<tag k='highway' v='\x1b[31m'/>", b"</osm>", b"\x00" * 16, b"\xff" * 64, b"<osm>" * 3])).map(
        lambda t: seed[: t[0]] + t[1] + seed[t[0]:])
    return st.one_of(cut, flips, inject, st.binary(max_size=300))


def _flip(seed: bytes, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(seed)
    for i, v in flips:
        data[i] = v
    return bytes(data)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csettings, "cache_folder", tmp_path / "cache")


@FUZZ
@given(data=_mutate(_SEED["osm"]))
def test_fuzz_osm_xml(data: bytes) -> None:
    p = _TMP / "f.osm"
    p.write_bytes(data)
    _result_or_corridor_error("OSM XML reader", lambda: osm.read_osm(p))


@FUZZ
@given(data=_mutate(_SEED["osm.pbf"]))
def test_fuzz_osm_pbf(data: bytes) -> None:
    p = _TMP / "f.osm.pbf"
    p.write_bytes(data)
    _result_or_corridor_error("OSM PBF reader", lambda: osm.read_osm(p))


_VALID_SCENARIO = '[scenario]\nname = "x"\nmode = "rail"\nwaypoints = ["Meghri", "Agarak"]\n'
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                     st.text(max_size=12), st.sampled_from(["Meghri", "Agarak", "ARM", "NAX", "rail", "road"]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8)
_keys = st.sampled_from(["name", "mode", "waypoints", "stay_in", "avoid", "max_grade", "slug", "published",
                         "reference_status", "notes", "bogus"])


def _toml_value(v: Any) -> str | None:
    """Hand-formatted TOML for a scalar or list (``None`` means: leave the key out)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in v) + '"'
    items = [_toml_value(x) for x in v]
    return "[" + ", ".join(x for x in items if x is not None) + "]"


def _toml_table(d: dict[str, Any]) -> str:
    lines = []
    for k, v in d.items():
        tv = _toml_value(v)
        if tv is not None:
            lines.append(f"{k} = {tv}")
    return "\n".join(lines) + "\n"


@FUZZ
@given(d=st.dictionaries(_keys, _values, max_size=6), many=st.booleans())
def test_fuzz_scenario_dicts(d: dict[str, Any], many: bool) -> None:
    text = ("[[scenario]]\n" if many else "[scenario]\n") + _toml_table(d)
    p = _TMP / "s.toml"
    p.write_text(text)
    _result_or_corridor_error("scenario TOML (random tables)", lambda: scenarios.load(p))


@FUZZ
@given(data=_mutate(_VALID_SCENARIO.encode()))
def test_fuzz_scenario_text(data: bytes) -> None:
    p = _TMP / "s.toml"
    p.write_bytes(data)
    _result_or_corridor_error("scenario TOML (mutated text)", lambda: scenarios.load(p))


_cost_keys = st.sampled_from([*CostParams.keys(), "bogus"])


@FUZZ
@given(d=st.dictionaries(_cost_keys, _values, max_size=5))
def test_fuzz_cost_params(d: dict[str, Any]) -> None:
    p = _TMP / "c.toml"
    p.write_text(_toml_table(d))
    _result_or_corridor_error("CostParams.from_toml", lambda: CostParams.from_toml(p))


def test_zz_fuzz_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Every fuzz input that started ended in a result or a CorridorError, and each target was made to
    reject some input (so the fuzzing reached the error paths). Runs last; skipped if no fuzz test ran."""
    if not RUNS:
        pytest.skip("no fuzz test ran in this session")
    with capsys.disabled():
        for name, n in RUNS.items():
            print(f"\nfuzz {name}: {n} inputs, outcomes {dict(OUTCOMES.get(name, {}))}")
    for name, n in RUNS.items():
        ended = OUTCOMES.get(name, Counter())
        assert sum(ended.values()) == n, (
            f"{name}: {n - sum(ended.values())} of {n} inputs ended in neither a result nor a CorridorError")
        assert sum(v for k, v in ended.items() if k != "ok") > 0, f"{name}: no input was rejected"
