"""Fault injection for corridor._http against a scripted server on 127.0.0.1.

Every fault of issue 8 is injected: connection refused, stalls before the headers
and mid-body, 429 + Retry-After, 500/502/503/504, truncated bodies, a wrong MD5,
an HTML page with status 200, interrupted-then-resumed downloads, 404, Ctrl-C in
a progress callback and two processes fetching the same file. Each test counts
the server hits, so retries are shown to be bounded.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _httpserver import Reply
from filelock import FileLock

from corridor import (
    ChecksumError,
    CorridorError,
    DownloadError,
    RemoteFileNotFound,
    _http,
    settings,
)

BODY = random.Random(8).randbytes(200_000)
MD5 = hashlib.md5(BODY).hexdigest()
HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>busy</body></html>"


@pytest.fixture()
def sleeps(monkeypatch):
    """Record every back-off delay (and still sleep, briefly)."""
    seen: list[float] = []

    def spy(seconds: float) -> None:
        seen.append(seconds)
        time.sleep(min(seconds, 0.05))

    monkeypatch.setattr(_http, "_sleep", spy)
    return seen


@pytest.fixture()
def short_timeout(monkeypatch, fast_retries):
    monkeypatch.setattr(settings, "timeout", 0.3)


def _part(dest: Path) -> Path:
    return Path(str(dest) + ".part")


def _range_headers(server, path):
    return [r[2].get("Range") for r in server.requests if r[1] == path]


def _cache_files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock")}


# --- success paths ------------------------------------------------------------
def test_plain_download_with_md5(http_server, tmp_cache, fast_retries):
    http_server.add("/a.pbf", Reply(body=BODY))
    dest = tmp_cache / "osm" / "a.pbf"
    out = _http.download(http_server.url("/a.pbf"), dest, md5=MD5.upper())
    assert out == dest and dest.read_bytes() == BODY
    assert not _part(dest).exists()
    # a second call with the same checksum is served from the cache
    _http.download(http_server.url("/a.pbf"), dest, md5=MD5)
    assert http_server.hits("/a.pbf") == 1


def test_progress_reports_bytes(http_server, tmp_cache, fast_retries):
    http_server.add("/a", Reply(body=BODY))
    calls: list[tuple[int, int | None]] = []
    _http.download(http_server.url("/a"), tmp_cache / "a", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- connection failures ----------------------------------------------------------
def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_connection_refused_is_bounded(tmp_cache, fast_retries, sleeps):
    dest = tmp_cache / "x.pbf"
    with pytest.raises(DownloadError, match=r"after 4 attempts.*ConnectionError") as ei:
        _http.download(f"http://127.0.0.1:{_closed_port()}/x.pbf", dest)
    assert isinstance(ei.value, ConnectionError) and isinstance(ei.value, CorridorError)
    assert len(sleeps) == settings.max_retries == 3
    assert sleeps == sorted(sleeps) and max(sleeps) <= settings.backoff_max
    assert _cache_files(tmp_cache) == set()


def test_request_bytes_connection_refused(fast_retries, sleeps):
    with pytest.raises(DownloadError, match="after 4 attempts"):
        _http.request_bytes(f"http://127.0.0.1:{_closed_port()}/api")
    assert len(sleeps) == 3


def test_stall_before_headers_then_success(http_server, tmp_cache, short_timeout):
    http_server.add("/s", Reply(body=BODY, stall=0.8), Reply(body=BODY))
    t0 = time.monotonic()
    dest = _http.download(http_server.url("/s"), tmp_cache / "s")
    assert dest.read_bytes() == BODY
    assert http_server.hits("/s") == 2
    assert time.monotonic() - t0 < 5


def test_stall_always_gives_up(http_server, tmp_cache, short_timeout, monkeypatch):
    monkeypatch.setattr(settings, "max_retries", 1)
    http_server.add("/s", Reply(body=BODY, stall=0.8))
    with pytest.raises(DownloadError, match=r"(?i)timed out"):
        _http.download(http_server.url("/s"), tmp_cache / "s")
    assert http_server.hits("/s") == 2
    assert _cache_files(tmp_cache) == set()


def test_stall_mid_body_resumes_with_range(http_server, tmp_cache, short_timeout):
    http_server.add("/m", Reply(body=BODY, stall_after=70_000, stall_mid=0.8), Reply(body=BODY))
    dest = _http.download(http_server.url("/m"), tmp_cache / "m")
    assert dest.read_bytes() == BODY
    assert _range_headers(http_server, "/m") == [None, "bytes=70000-"]


def test_request_bytes_stall(http_server, short_timeout):
    http_server.add("/api", Reply(body=b"{}", stall=0.8), Reply(body=b'{"elements": []}'))
    assert _http.request_bytes(http_server.url("/api")) == b'{"elements": []}'
    assert http_server.hits("/api") == 2


# --- status codes ------------------------------------------------------------------
def test_429_retry_after_seconds_is_honoured(http_server, tmp_cache, fast_retries, sleeps):
    http_server.add("/r", Reply(status=429, headers={"Retry-After": "0.3"}), Reply(body=BODY))
    _http.download(http_server.url("/r"), tmp_cache / "r")
    assert sleeps == [pytest.approx(0.3)]  # larger than the back-off (0.01), below backoff_max
    assert http_server.hits("/r") == 2


def test_429_retry_after_is_bounded_by_backoff_max(http_server, fast_retries, sleeps):
    http_server.add("/r", Reply(status=429, headers={"Retry-After": "3600"}), Reply(body=b"ok"))
    assert _http.request_bytes(http_server.url("/r")) == b"ok"
    assert sleeps == [settings.backoff_max]


def test_429_retry_after_http_date(http_server, fast_retries, sleeps):
    from email.utils import formatdate

    when = formatdate(time.time() + 3600, usegmt=True)
    http_server.add("/r", Reply(status=503, headers={"Retry-After": when}), Reply(body=b"ok"))
    assert _http.request_bytes(http_server.url("/r")) == b"ok"
    assert sleeps == [settings.backoff_max]


def test_real_delay_is_honoured(http_server, fast_retries):
    http_server.add("/r", Reply(status=429, headers={"Retry-After": "0.3"}), Reply(body=b"ok"))
    t0 = time.monotonic()
    _http.request_bytes(http_server.url("/r"))
    assert time.monotonic() - t0 >= 0.3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_then_success(http_server, tmp_cache, fast_retries, sleeps, status):
    http_server.add("/e", Reply(status=status), Reply(status=status), Reply(body=BODY))
    assert _http.download(http_server.url("/e"), tmp_cache / "e").read_bytes() == BODY
    assert http_server.hits("/e") == 3
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02)]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_forever_is_bounded(http_server, tmp_cache, fast_retries, sleeps, status):
    http_server.add("/e", Reply(status=status))
    with pytest.raises(DownloadError, match=f"HTTP {status}"):
        _http.download(http_server.url("/e"), tmp_cache / "e")
    assert http_server.hits("/e") == settings.max_retries + 1 == 4
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02), pytest.approx(0.04)]
    assert _cache_files(tmp_cache) == set()


def test_backoff_doubles_and_is_capped(fast_retries):
    from urllib3.util.retry import RequestHistory

    def after(n: int) -> float:  # the wait after n consecutive failures
        retry = _http._Retry(total=300, backoff_factor=settings.backoff_base, backoff_max=settings.backoff_max)
        return retry.new(history=(RequestHistory("GET", "/", None, 503, None),) * n).get_backoff_time()

    assert [after(n) for n in (1, 2, 3)] == [pytest.approx(0.01), pytest.approx(0.02), pytest.approx(0.04)]
    assert after(200) == settings.backoff_max


def test_unreadable_retry_after_falls_back_to_backoff(http_server, fast_retries, sleeps):
    http_server.add("/r", Reply(status=503, headers={"Retry-After": "soon"}),
                    Reply(status=429, headers={"Retry-After": "nan"}), Reply(body=b"ok"))
    assert _http.request_bytes(http_server.url("/r")) == b"ok"
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02)]


def test_status_and_body_failures_share_one_retry_budget(http_server, tmp_cache, fast_retries, sleeps,
                                                         monkeypatch):
    monkeypatch.setattr(settings, "max_retries", 2)
    http_server.add("/b", Reply(status=503), Reply(body=HTML), Reply(body=BODY, truncate_at=1000),
                    Reply(body=BODY))
    with pytest.raises(DownloadError, match=r"after 3 attempts.*IncompleteRead"):
        _http.download(http_server.url("/b"), tmp_cache / "b")
    assert http_server.hits("/b") == 3  # not max_retries per kind of failure
    assert _part(tmp_cache / "b").read_bytes() == BODY[:1000]
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02)]
    http_server.add("/q", Reply(status=504), Reply(body=b"x" * 500, truncate_at=10), Reply(body=HTML),
                    Reply(body=b"ok"))
    with pytest.raises(DownloadError, match="after 3 attempts"):
        _http.request_bytes(http_server.url("/q"), method="POST", data={"data": "q"})
    assert http_server.hits("/q") == 3


def test_redirects_are_followed_and_spend_no_retry(http_server, tmp_cache, fast_retries, sleeps, monkeypatch):
    monkeypatch.setattr(settings, "max_retries", 0)
    http_server.add("/old", Reply(status=302, headers={"Location": http_server.url("/mid")}))
    http_server.add("/mid", Reply(status=301, headers={"Location": http_server.url("/new")}))
    http_server.add("/new", Reply(body=BODY))
    assert _http.download(http_server.url("/old"), tmp_cache / "new", md5=MD5).read_bytes() == BODY
    assert [http_server.hits(p) for p in ("/old", "/mid", "/new")] == [1, 1, 1] and sleeps == []


def test_chunk_size_from_the_environment(tmp_path):
    """CORRIDOR_CHUNK_SIZE sets the default like every other setting; a bad one is named on first use."""
    code = (
        "import corridor, corridor.settings as s, corridor._http as h\n"
        "print(s.chunk_size)\n"
        "try:\n"
        "    h.request_bytes('http://127.0.0.1:9/x')\n"
        "except corridor.CorridorError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    env = {**os.environ, "CORRIDOR_CHUNK_SIZE": "65536", "CORRIDOR_MAX_RETRIES": "0"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "65536"
    assert res.stdout.splitlines()[1].startswith("DownloadError")  # accepted: the request was sent
    env["CORRIDOR_CHUNK_SIZE"] = "64k"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[0] == "64k" and out[1].startswith("ParameterError corridor.settings.chunk_size")
    assert "'64k'" in out[1]
    assert "CORRIDOR_CHUNK_SIZE" in out[1] and f"= {settings.DEFAULTS['chunk_size']}" in out[1]


def test_404_is_not_retried(http_server, tmp_cache, fast_retries, sleeps):
    http_server.add("/N40E044.tif", Reply(status=404, body=b"no such tile"))
    with pytest.raises(RemoteFileNotFound, match=r"N40E044.tif.*404") as ei:
        _http.download(http_server.url("/N40E044.tif"), tmp_cache / "N40E044.tif")
    assert isinstance(ei.value, DownloadError)
    assert http_server.hits("/N40E044.tif") == 1 and sleeps == []
    with pytest.raises(RemoteFileNotFound):
        _http.request_bytes(http_server.url("/N40E044.tif"))
    assert http_server.hits("/N40E044.tif") == 2
    assert _cache_files(tmp_cache) == set()


def test_other_4xx_not_retried(http_server, fast_retries, sleeps):
    http_server.add("/q", Reply(status=400, body=b"bad query"))
    with pytest.raises(DownloadError, match="HTTP 400"):
        _http.request_bytes(http_server.url("/q"), method="POST", data={"data": "[out:json];"})
    assert http_server.hits("/q") == 1 and sleeps == []
    assert http_server.requests[0][3] == b"data=%5Bout%3Ajson%5D%3B"



def test_download_error_gives_its_reason_in_a_few_words(http_server, tmp_cache, fast_retries, sleeps):
    """``DownloadError.reason``: the cause without the URL or advice, for a line listing many failures
    (corridor fetch dem); it survives pickling (a Dask worker's error); by default the whole message."""
    import pickle

    http_server.add("/a", Reply(status=503))
    http_server.add("/b", Reply(status=403))
    reasons = []
    for path, call in (("/a", _http.download), ("/b", _http.download), ("/b", _http.request_bytes)):
        with pytest.raises(DownloadError) as ei:
            call(http_server.url(path), tmp_cache / "x") if call is _http.download else call(http_server.url(path))
        assert http_server.url(path) in str(ei.value) and "127.0.0.1" not in ei.value.reason
        reasons.append(ei.value.reason)
    assert reasons == ["HTTP 503 after 4 attempts", "HTTP 403", "HTTP 403"]
    assert pickle.loads(pickle.dumps(ei.value)).reason == "HTTP 403"
    assert DownloadError("whole message").reason == "whole message" and DownloadError().reason == ""

# --- bad bodies ------------------------------------------------------------------
def test_truncated_body_resumes(http_server, tmp_cache, fast_retries):
    http_server.add("/t", Reply(body=BODY, truncate_at=123_457), Reply(body=BODY))
    dest = _http.download(http_server.url("/t"), tmp_cache / "t")
    assert dest.read_bytes() == BODY
    assert _range_headers(http_server, "/t") == [None, "bytes=123457-"]


def test_truncated_forever_keeps_part_not_dest(http_server, tmp_cache, fast_retries, monkeypatch):
    monkeypatch.setattr(settings, "max_retries", 0)
    http_server.add("/t", Reply(body=BODY, truncate_at=1000))
    dest = tmp_cache / "t"
    with pytest.raises(DownloadError, match=r"IncompleteRead|truncated"):
        _http.download(http_server.url("/t"), dest)
    assert http_server.hits("/t") == 1
    assert not dest.exists() and _part(dest).read_bytes() == BODY[:1000]


def test_request_bytes_truncated(http_server, fast_retries):
    http_server.add("/t", Reply(body=b"x" * 5000, truncate_at=10), Reply(body=b"y" * 5000))
    assert _http.request_bytes(http_server.url("/t")) == b"y" * 5000
    assert http_server.hits("/t") == 2


def test_wrong_md5_never_cached(http_server, tmp_cache, fast_retries):
    http_server.add("/c", Reply(body=BODY[:-1] + b"\x00"))
    dest = tmp_cache / "c.pbf"
    with pytest.raises(ChecksumError, match=MD5) as ei:
        _http.download(http_server.url("/c"), dest, md5=MD5)
    assert isinstance(ei.value, DownloadError)
    assert http_server.hits("/c") == settings.max_retries + 1
    assert _cache_files(tmp_cache) == set()
    # every retry started from scratch: no Range after a checksum failure
    assert _range_headers(http_server, "/c") == [None] * 4


def test_md5_recovers_when_mirror_settles(http_server, tmp_cache, fast_retries):
    http_server.add("/c", Reply(body=b"old" + BODY), Reply(body=BODY))
    assert _http.download(http_server.url("/c"), tmp_cache / "c", md5=MD5).read_bytes() == BODY


@pytest.mark.parametrize("page", [HTML, b"\n<html><body>Quota exceeded</body></html>",
                                  b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "x">\n<html/>',
                                  b"<!-- cdn -->\n<head><title>error</title></head>"])
def test_html_page_with_200_is_rejected(http_server, tmp_cache, fast_retries, page):
    http_server.add("/h.pbf", Reply(body=page))
    dest = tmp_cache / "h.pbf"
    with pytest.raises(DownloadError, match="HTML page"):
        _http.download(http_server.url("/h.pbf"), dest)
    assert http_server.hits("/h.pbf") == 4
    assert _cache_files(tmp_cache) == set()
    with pytest.raises(DownloadError, match="HTML page"):
        _http.request_bytes(http_server.url("/h.pbf"))


def test_html_then_data(http_server, tmp_cache, fast_retries):
    http_server.add("/h", Reply(body=HTML), Reply(body=BODY))
    assert _http.download(http_server.url("/h"), tmp_cache / "h").read_bytes() == BODY
    http_server.add("/o", Reply(body=HTML), Reply(body=b'<?xml version="1.0"?><osm version="0.6"/>'))
    assert _http.request_bytes(http_server.url("/o")).startswith(b"<?xml")


def test_html_allowed_when_asked(http_server, tmp_cache, fast_retries):
    http_server.add("/page.html", Reply(body=HTML))
    assert _http.download(http_server.url("/page.html"), tmp_cache / "p.html",
                          reject_html=False).read_bytes() == HTML


# --- interruption and resume across calls -----------------------------------------------
def test_interrupted_then_resumed_in_a_new_call(http_server, tmp_cache, fast_retries, monkeypatch):
    monkeypatch.setattr(settings, "max_retries", 0)
    http_server.add("/r.pbf", Reply(body=BODY, truncate_at=80_000), Reply(body=BODY))
    dest = tmp_cache / "r.pbf"
    with pytest.raises(DownloadError):
        _http.download(http_server.url("/r.pbf"), dest, md5=MD5)
    assert _part(dest).stat().st_size == 80_000 and not dest.exists()
    _http.download(http_server.url("/r.pbf"), dest, md5=MD5)
    assert dest.read_bytes() == BODY and not _part(dest).exists()
    assert _range_headers(http_server, "/r.pbf") == [None, "bytes=80000-"]


def test_resume_when_part_already_complete(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "full"
    dest.parent.mkdir(parents=True)
    _part(dest).write_bytes(BODY)
    http_server.add("/full", Reply(body=BODY))
    _http.download(http_server.url("/full"), dest, md5=MD5)
    assert dest.read_bytes() == BODY
    assert _range_headers(http_server, "/full") == [f"bytes={len(BODY)}-"]  # answered 416


def test_stale_part_larger_than_file_restarts(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "f"
    dest.parent.mkdir(parents=True)
    _part(dest).write_bytes(BODY + b"junk")
    http_server.add("/f", Reply(body=BODY))
    assert _http.download(http_server.url("/f"), dest).read_bytes() == BODY
    assert _range_headers(http_server, "/f") == [f"bytes={len(BODY) + 4}-", None]


def test_server_ignoring_range_restarts_from_zero(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "g"
    dest.parent.mkdir(parents=True)
    _part(dest).write_bytes(BODY[:5000])
    http_server.add("/g", Reply(body=BODY, honour_range=False))
    assert _http.download(http_server.url("/g"), dest).read_bytes() == BODY


def test_wrong_content_range_restarts(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "w"
    dest.parent.mkdir(parents=True)
    _part(dest).write_bytes(BODY[:5000])
    bad = Reply(status=206, body=BODY[10:],
                headers={"Content-Range": f"bytes 10-{len(BODY) - 1}/{len(BODY)}"})
    http_server.add("/w", bad, Reply(body=BODY))
    assert _http.download(http_server.url("/w"), dest).read_bytes() == BODY
    assert _range_headers(http_server, "/w") == ["bytes=5000-", None]


def test_resume_false_starts_over(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "n"
    dest.parent.mkdir(parents=True)
    _part(dest).write_bytes(b"garbage")
    http_server.add("/n", Reply(body=BODY))
    assert _http.download(http_server.url("/n"), dest, resume=False).read_bytes() == BODY
    assert _range_headers(http_server, "/n") == [None]


def test_overwrite_keeps_old_file_until_new_one_verified(http_server, tmp_cache, fast_retries):
    dest = tmp_cache / "o"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"previous extract")
    http_server.add("/o", Reply(status=503))
    with pytest.raises(DownloadError):
        _http.download(http_server.url("/o"), dest, overwrite=True)
    assert dest.read_bytes() == b"previous extract"
    http_server.add("/o", Reply(body=BODY))
    _http.download(http_server.url("/o"), dest, overwrite=True)
    assert dest.read_bytes() == BODY


def test_ctrl_c_leaves_cache_consistent(http_server, tmp_cache, fast_retries, monkeypatch):
    monkeypatch.setattr(settings, "chunk_size", 16_384)
    http_server.add("/k", Reply(body=BODY, stall_after=50_000, stall_mid=0.2), Reply(body=BODY))
    dest = tmp_cache / "k.pbf"

    def interrupt(done: int, total: int | None) -> None:
        if done >= 10_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _http.download(http_server.url("/k"), dest, md5=MD5, progress=interrupt)
    assert not dest.exists()
    kept = _part(dest).stat().st_size
    assert 10_000 <= kept < len(BODY) and _part(dest).read_bytes() == BODY[:kept]
    # the lock was released: another process could take it right away
    with FileLock(str(dest) + ".lock", timeout=0):
        pass
    _http.download(http_server.url("/k"), dest, md5=MD5)
    assert dest.read_bytes() == BODY
    assert _range_headers(http_server, "/k") == [None, f"bytes={kept}-"]


# --- concurrency ----------------------------------------------------------------------
def test_download_waits_for_the_lock(http_server, tmp_cache, fast_retries):
    http_server.add("/l", Reply(body=BODY))
    dest = tmp_cache / "l"
    dest.parent.mkdir(parents=True)
    lock = FileLock(str(dest) + ".lock")
    lock.acquire()
    t = threading.Thread(target=_http.download, args=(http_server.url("/l"), dest))
    t.start()
    time.sleep(0.3)
    assert http_server.hits("/l") == 0 and t.is_alive()
    lock.release()
    t.join(10)
    assert dest.read_bytes() == BODY


def _fetch_worker(url: str, dest: str, md5: str, go, out) -> None:  # runs in a child process
    from corridor import _http as h
    from corridor import settings as s

    s.max_retries, s.timeout, s.backoff_base = 2, 5.0, 0.01
    out.put("ready")
    go.wait(10)
    try:
        path = h.download(url, dest, md5=md5)
        out.put(h.file_md5(path))
    except BaseException as exc:  # report, don't hang the parent
        out.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_same_file(http_server, tmp_cache):
    http_server.add("/p.pbf", Reply(body=BODY, stall_after=60_000, stall_mid=0.5))
    dest = tmp_cache / "p.pbf"
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_fetch_worker, args=(http_server.url("/p.pbf"), str(dest), MD5, go, out))
             for _ in range(2)]
    for p in procs:
        p.start()
    assert [out.get(timeout=30) for _ in procs] == ["ready", "ready"]
    go.set()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    assert results == [MD5, MD5]
    assert dest.read_bytes() == BODY and not _part(dest).exists()
    assert http_server.hits("/p.pbf") == 1  # the second process found the finished file


def test_a_host_name_that_does_not_resolve_is_not_retried(tmp_cache, fast_retries, sleeps, monkeypatch):
    """Offline, every download failed name resolution and was retried with back-off (a minute for
    `corridor fetch dem`); a name that does not resolve now gives one error at once. The resolver is
    replaced, so no lookup leaves the machine."""
    import socket

    real = socket.getaddrinfo

    def resolve(host, *a, **kw):
        if host == "dem.example.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *a, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(DownloadError, match="host name does not resolve") as ei:
        _http.download("http://dem.example.test/tile.tif", tmp_cache / "tile.tif")
    assert isinstance(ei.value, CorridorError) and sleeps == []
    assert _cache_files(tmp_cache) == set()
