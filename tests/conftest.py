"""Shared fixtures. Nothing here touches the internet: every service is on 127.0.0.1."""

from __future__ import annotations

import os
import socket

import pytest

# Any accidental real download fails fast instead of hanging: point every
# service at a closed loopback port unless a test overrides it.
_DEAD = "http://127.0.0.1:9"
for _name in ("OVERPASS_URL", "GEOFABRIK_URL", "COPERNICUS_URL", "COPERNICUS30_URL"):
    os.environ.setdefault(f"CORRIDOR_{_name}", _DEAD)
os.environ.setdefault("CORRIDOR_MAX_RETRIES", "1")
os.environ.setdefault("CORRIDOR_BACKOFF_BASE", "0.01")
os.environ.setdefault("CORRIDOR_TIMEOUT", "5")


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any socket connection that is not to loopback."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise OSError(f"test tried to reach the internet: {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture()
def tmp_cache(tmp_path, monkeypatch):
    """A private cache folder for the test."""
    from corridor import settings

    folder = tmp_path / "cache"
    monkeypatch.setattr(settings, "cache_folder", folder)
    return folder


@pytest.fixture()
def http_server():
    """A scriptable HTTP server on 127.0.0.1 (see tests/_httpserver.py)."""
    from _httpserver import LoopbackServer

    with LoopbackServer() as srv:
        yield srv


@pytest.fixture()
def fast_retries(monkeypatch):
    """Few, quick retries and a short timeout so fault tests finish fast."""
    from corridor import settings

    monkeypatch.setattr(settings, "max_retries", 3)
    monkeypatch.setattr(settings, "backoff_base", 0.01)
    monkeypatch.setattr(settings, "backoff_max", 0.5)
    monkeypatch.setattr(settings, "timeout", 1.0)


# ----------------------------------------------------------------------------- the small network
# Read by the network tests (test_graph, test_routing, test_solver, test_io, test_nx, test_network); no
# test changes them, so one load per session serves them all.
@pytest.fixture(scope="session")
def pbf(tmp_path_factory):
    """The small SYNTHETIC network of tests/_osmgen.py as an ``.osm.pbf`` file."""
    from _osmgen import small

    return small(tmp_path_factory.mktemp("net"), "osm.pbf")


@pytest.fixture(scope="session")
def net(pbf):
    """The small network, loaded (simplified) without the cache."""
    from corridor.network import load_network

    return load_network(pbf, cache=False)


@pytest.fixture(scope="session")
def raw(pbf):
    """The unsimplified network: one edge per piece of way between shared nodes."""
    from corridor.network import load_network

    return load_network(pbf, cache=False, simplify=False)


# ----------------------------------------------------------------------------- a synthetic DEM
@pytest.fixture(scope="session")
def slope_dem():
    """A plane rising 2 % northwards (tests/_demgen.slope), read by test_dem and test_profiles."""
    import _demgen as gen

    from corridor.terrain import DEM

    z, tr = gen.slope(grade=0.02)
    return DEM.from_array(z, tr, source="synthetic slope (modelled)")
