"""Robust HTTP for every download path (Geofabrik, Copernicus, Overpass).

Retries, back-off and ``Retry-After`` are urllib3's :class:`~urllib3.util.Retry`
(mounted on a :mod:`requests` session): connection failures, stalls
(``settings.timeout`` per read) and HTTP 429/5xx are retried at most
``settings.max_retries`` times, waiting ``settings.backoff_base`` seconds and
doubling, each wait capped by ``settings.backoff_max`` (a larger ``Retry-After``
wins, up to the same cap). What no library does is here:

* a body that fails after the headers (cut short, stalled, an HTML error page
  served with status 200, a wrong MD5, a document the caller rejects) is retried
  too, from the same retry budget;
* :func:`download` resumes an interrupted body with a ``Range`` request (every
  byte that arrived is kept in ``dest + ".part"``), checks the MD5, serialises
  processes on a file lock and renames a complete, verified file into place, so a
  bad, partial or concurrent response never becomes a cache entry.

Bad arguments and bad :mod:`corridor.settings` values are rejected before
anything is created on disk or sent over the network. Nothing here touches the
network on import.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from urllib3.exceptions import HTTPError, InvalidHeader, MaxRetryError, NameResolutionError
from urllib3.util import Retry

from corridor import settings
from corridor._errors import (
    ChecksumError,
    DownloadError,
    InvalidInputError,
    OutputError,
    ParameterError,
    RemoteFileNotFound,
)
from corridor._files import file_hexdigest

log = logging.getLogger(__name__)

__all__ = ["download", "fast_file_digest", "file_md5", "request_bytes"]

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
ProgressFn = Callable[[int, int | None], None]
_T = TypeVar("_T")
_MD5_RE = re.compile(r"[0-9a-fA-F]{32}")
_HEAD = 1024  # bytes inspected by the HTML guard
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<h1", b"<meta", b"<script")
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


def _sleep(seconds: float) -> None:
    """Every back-off sleep goes through here (a seam for tests that record the delays)."""
    time.sleep(seconds)


# --- validation -------------------------------------------------------------
def _check_settings() -> None:
    """Reject unusable :mod:`corridor.settings` values before any I/O."""
    for name, kind in (("timeout", "positive"), ("backoff_base", "non-negative"),
                       ("backoff_max", "non-negative"), ("max_retries", "count"), ("chunk_size", "size")):
        v = getattr(settings, name)
        if kind in ("count", "size"):
            minimum = 0 if kind == "count" else 1
            ok = isinstance(v, int) and not isinstance(v, bool) and v >= minimum
            need = f"a whole number >= {minimum}"
        else:
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (v > 0 if kind == "positive" else v >= 0)
            need = "a finite number " + ("greater than zero" if kind == "positive" else "zero or more")
        if not ok:
            raise ParameterError(
                f"corridor.settings.{name} must be {need}, got {v!r}; set e.g. corridor.settings.{name} = "
                f"{settings.DEFAULTS[name]!r} (or the environment variable CORRIDOR_{name.upper()})"
            )
    if not isinstance(settings.user_agent, str) or not settings.user_agent.strip():
        raise ParameterError(
            f"corridor.settings.user_agent must be a non-empty string, got {settings.user_agent!r}"
        )


def _check_url(url: Any) -> str:
    text = url if isinstance(url, str) else None
    parts = urlsplit(text) if text else None
    bad_chars = text is not None and any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text)
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or bad_chars:
        raise InvalidInputError(
            f"download URL {url!r} is not a valid http(s) URL; give an address such as "
            "'https://download.geofabrik.de/asia/armenia-latest.osm.pbf' "
            "(check the service URLs in corridor.settings)"
        )
    return text  # type: ignore[return-value]


def _check_md5(md5: Any) -> str | None:
    if md5 is None:
        return None
    if not isinstance(md5, str) or not _MD5_RE.fullmatch(md5.strip()):
        raise InvalidInputError(
            f"md5 {md5!r} is not a 32-digit hexadecimal MD5 digest; pass the digest from the "
            "server's .md5 file or md5=None to skip the check"
        )
    return md5.strip().lower()


def _check_dest(dest: Any) -> Path:
    try:
        path = Path(dest)
    except TypeError as exc:
        raise InvalidInputError(f"download destination {dest!r} is not a path; give a file path") from exc
    if str(dest) == "" or "\x00" in str(dest) or path.name in ("", ".", ".."):
        raise InvalidInputError(f"download destination {dest!r} is not a file path; give a file name")
    if path.is_dir():
        raise OutputError(f"download destination {path} is a folder; give a file path inside it")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot write {path}: {parent} is a file, not a folder; choose another destination"
                )
            break
    return path


# --- helpers ----------------------------------------------------------------
def file_md5(path: str | os.PathLike[str]) -> str:
    """MD5 hex digest of a file, streamed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "x.bin"
    >>> _ = p.write_bytes(b"abc")
    >>> file_md5(p)
    '900150983cd24fb0d6963f7d28e17f72'
    """
    return file_hexdigest(path, "md5")


def _fast_hasher() -> tuple[str, Callable[[], Any]]:
    try:
        import xxhash  # a dependency: an order of magnitude faster than any hashlib digest
    except ImportError:
        # SHA-256 runs on the CPU's SHA extensions where present: measured faster here than
        # MD5, SHA-1 and BLAKE2 (760 vs 380, 620 and 260 MB/s)
        return "sha256", hashlib.sha256
    return "xxh3_128", xxhash.xxh3_128


def fast_file_digest(path: str | os.PathLike[str]) -> str:
    """A digest of a file's content for change detection (not for security), streamed.

    ``"xxh3_128:<hex>"`` with the ``xxhash`` package (a dependency; kept optional here),
    else ``"sha256:<hex>"``. The algorithm is part of the value, so digests
    taken with different algorithms never compare equal.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "x.bin"
    >>> _ = p.write_bytes(b"abc")
    >>> fast_file_digest(p).split(":")[0] in ("sha256", "xxh3_128")
    True
    """
    name, new = _fast_hasher()
    return f"{name}:{file_hexdigest(path, new)}"


def _looks_like_html(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a body) is an HTML page.

    >>> _looks_like_html(b"<!DOCTYPE html><title>502</title>"), _looks_like_html(b"<?xml ?><osm/>")
    (True, False)
    """
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    while h.startswith(b"<!--"):  # leading comments
        end = h.find(b"-->")
        if end < 0:
            return b"<html" in h
        h = h[end + 3:].lstrip()
    if h.startswith(_HTML_TAGS):
        return True
    return h.startswith(b"<?xml") and (b"<html" in h[:512] or b"<!doctype html" in h[:512])


def _content_range(resp: Any) -> tuple[int | None, int | None]:
    """``(start, total)`` from a ``Content-Range`` header (``None`` where unknown)."""
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", "").strip())
    if not m:
        return None, None
    return (int(m.group(1)) if m.group(1) is not None else None,
            int(m.group(3)) if m.group(3) != "*" else None)


def _name(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- retries ----------------------------------------------------------------
class _Retry(Retry):
    """urllib3's Retry with corridor's back-off, all of it slept through :func:`_sleep`.

    urllib3 waits nothing before the first retry and ``backoff_factor * 2**(n-1)``
    after ``n`` failures; corridor waits ``backoff_factor`` (``settings.backoff_base``)
    after the first failure and doubles. A ``Retry-After`` (seconds, fractional
    or not, or an HTTP date) wins when it is longer; both are capped by
    ``backoff_max``.
    """

    def get_backoff_time(self) -> float:
        n = len(self.history)
        return 0.0 if n == 0 else float(min(self.backoff_max, self.backoff_factor * 2.0 ** min(n - 1, 60)))

    def get_retry_after(self, response: Any) -> float | None:
        value = response.headers.get("Retry-After")
        try:
            seconds = float(value)  # RFC 9110 says whole seconds; some servers send fractions
        except (TypeError, ValueError):
            try:
                return super().get_retry_after(response)  # an HTTP date, or None
            except InvalidHeader:
                return None
        return max(0.0, seconds) if math.isfinite(seconds) else None

    def sleep_for_retry(self, response: Any) -> bool:
        after = self.get_retry_after(response)
        if after is None:
            return False
        _sleep(min(max(after, self.get_backoff_time()), self.backoff_max))
        return True

    def _sleep_backoff(self) -> None:
        _sleep(self.get_backoff_time())

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> _Retry:
        """A host name that does not resolve is not retried: offline, or a wrong URL; waiting changes
        nothing (an offline ``corridor fetch dem`` waited a minute of back-off for its one error)."""
        if isinstance(error, NameResolutionError):
            raise MaxRetryError(_pool, url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)  # type: ignore[return-value]


class _Failed(Exception):
    """A response that arrived but cannot be used (a failed attempt, retried)."""

    def __init__(self, msg: str, kind: str = "other") -> None:
        super().__init__(msg)
        self.kind = kind


def _gave_up(url: str, reason: object) -> DownloadError:
    tries = settings.max_retries + 1
    after = f"after {tries} attempt{'s' if tries > 1 else ''}"
    return DownloadError(
        f"could not download {url} {after}: {reason}; "
        "check the network or the server URL in corridor.settings, then try again", reason=f"{reason} {after}"
    )


def _exchange(url: str, send: Callable[[Any], Any], consume: Callable[[Any], _T]) -> _T:
    """``consume(send(session))`` with one retry budget for the request and the body.

    ``send`` issues the request on a :class:`requests.Session` whose adapter
    retries connection failures, stalls and :data:`RETRY_STATUS`; ``consume``
    reads the response and raises :class:`_Failed` for a body that cannot be
    used, which spends the next retry of the same :class:`_Retry`. Raises
    :class:`DownloadError` (``__cause__`` is the last failure) when the budget is
    spent, :class:`RemoteFileNotFound` on HTTP 404.
    """
    import requests
    from requests.adapters import HTTPAdapter

    adapter = HTTPAdapter(max_retries=_Retry(
        total=settings.max_retries, backoff_factor=settings.backoff_base, backoff_max=settings.backoff_max,
        status_forcelist=RETRY_STATUS, allowed_methods={"GET", "HEAD", "POST"},  # POST: Overpass queries
        raise_on_status=False, respect_retry_after_header=True,
    ))
    with requests.Session() as session:
        session.headers["User-Agent"] = settings.user_agent
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        while True:
            try:
                resp = send(session)
            except requests.RequestException as exc:
                cause = exc.args[0] if exc.args else None
                if isinstance(cause, MaxRetryError) and isinstance(cause.reason, NameResolutionError):
                    raise DownloadError(f"could not download {url}: its host name does not resolve "
                                        f"({_name(cause.reason)}); check the network connection or the server URL "
                                        "in corridor.settings, then try again",
                                        reason="host name does not resolve") from cause.reason
                if isinstance(cause, MaxRetryError) and cause.reason is not None:
                    raise _gave_up(url, _name(cause.reason)) from cause.reason
                raise DownloadError(f"request to {url} failed: {_name(exc)}; check the URL",
                                    reason=f"request failed: {_name(exc)}") from exc
            with contextlib.closing(resp):
                try:
                    if resp.status_code == 404:
                        raise RemoteFileNotFound(f"{url} does not exist on the server (HTTP 404); check the "
                                                 "name (a DEM tile over sea has no file)")
                    if resp.status_code in RETRY_STATUS:  # urllib3 has spent the retries on it
                        raise _Failed(f"HTTP {resp.status_code}")
                    return consume(resp)
                except _Failed as exc:
                    failure = exc
            try:
                adapter.max_retries = resp.raw.retries.increment(resp.request.method, url, error=failure)
            except MaxRetryError:
                raise _gave_up(url, failure) from failure
            log.warning("download of %s failed (%s); retrying", url, failure)
            adapter.max_retries.sleep()


def _blocks(resp: Any) -> Iterator[bytes]:
    """Yield the body as it arrives, so an interruption loses no received byte.

    urllib3's ``read1`` returns what one socket read delivered (at most
    ``settings.chunk_size`` bytes); reading fixed-size blocks would drop a partly
    filled one when the connection breaks. Read errors become :class:`_Failed`.
    """
    try:
        while block := resp.raw.read1(settings.chunk_size, decode_content=True):
            yield block
    except (HTTPError, OSError) as exc:
        raise _Failed(f"body interrupted: {_name(exc)}") from exc


def request_bytes(
    url: str,
    *,
    method: str = "GET",
    data: dict[str, str] | str | None = None,
    params: dict[str, str] | None = None,
    reject_html: bool = True,
    check: Callable[[bytes], None] | None = None,
) -> bytes:
    """Fetch a whole (small) response body with retries; raise :class:`DownloadError`.

    Used for Overpass queries and ``.md5`` files. A body cut short (urllib3
    checks ``Content-Length``), an HTML page (with ``reject_html``) or one that
    ``check`` rejects by raising :class:`DownloadError` is a failed attempt and
    is retried. Nothing is written to disk.

    Examples
    --------
    Bad arguments fail before any network access:

    >>> request_bytes("ftp://example.org/x")
    Traceback (most recent call last):
    ...
    corridor._errors.InvalidInputError: download URL 'ftp://example.org/x' is not a valid http(s) URL; give an address such as 'https://download.geofabrik.de/asia/armenia-latest.osm.pbf' (check the service URLs in corridor.settings)
    """
    _check_settings()
    url = _check_url(url)
    verb = str(method).upper()
    if verb not in ("GET", "POST", "HEAD"):
        raise InvalidInputError(f"HTTP method {method!r} is not supported; use 'GET' or 'POST'")

    def consume(resp: Any) -> bytes:
        if resp.status_code >= 400:
            raise DownloadError(f"{url} answered HTTP {resp.status_code}; check the URL and query",
                                reason=f"HTTP {resp.status_code}")
        body = b"".join(_blocks(resp))
        if reject_html and _looks_like_html(body[:_HEAD]):
            raise _Failed("server returned an HTML page instead of data", "html")
        if check is not None:
            try:
                check(body)
            except DownloadError as exc:  # a complete HTTP body, an unusable document: try again
                raise _Failed(str(exc)) from exc
        return body

    return _exchange(url, lambda s: s.request(verb, url, data=data, params=params, stream=True,
                                               timeout=settings.timeout), consume)


@contextlib.contextmanager
def _locked(dest: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_path = str(dest) + ".lock"
    wait = max(60.0, settings.timeout * 10)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_path, timeout=wait)
        lock.acquire()
    except Timeout as exc:
        raise DownloadError(
            f"another process has held {lock_path} for more than {wait:.0f} s; wait for it to "
            "finish, or delete the lock file if no corridor download is running",
            reason=f"another process holds the download lock {lock_path}") from exc
    except OSError as exc:
        raise OutputError(f"cannot write to {dest.parent}: {exc.strerror or exc}; "
                          "choose a writable cache folder (corridor.settings.cache_folder)") from exc
    try:
        yield
    finally:
        lock.release()


def _receive(url: str, resp: Any, part: Path, offset: int, progress: ProgressFn | None) -> None:
    """Write the body into ``part``, appending when the server resumed at ``offset``."""
    code = resp.status_code
    if code == 416 and offset:
        if _content_range(resp)[1] != offset:  # our .part does not fit the remote file
            part.unlink(missing_ok=True)
            raise _Failed("HTTP 416 for resume; restarting from zero")
        log.info("%s: the partial file is already complete", url)
        return
    if code >= 400:
        raise DownloadError(f"{url} answered HTTP {code}; check the URL", reason=f"HTTP {code}")
    start, size = _content_range(resp) if code == 206 else (None, None)
    if code == 206 and start != offset:
        part.unlink(missing_ok=True)
        raise _Failed(f"server resumed at byte {start}, not {offset}; restarting")
    if code != 206 and offset:
        log.info("server ignored Range for %s; restarting from zero", url)
        offset = 0
    length = resp.headers.get("Content-Length") or ""
    encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
    total = size if size is not None else (int(length) + offset if length.isdigit() and not encoded else None)
    done = offset
    try:
        f = open(part, "ab" if offset else "wb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise OutputError(f"cannot write {part}: {exc.strerror or exc}; choose a writable destination") from exc
    with f:
        for block in _blocks(resp):
            f.write(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    if total is not None and done != total:
        raise _Failed(f"truncated body ({done} of {total} bytes)")


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    md5: str | None = None,
    resume: bool = True,
    reject_html: bool = True,
    progress: ProgressFn | None = None,
    overwrite: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` safely; return ``dest``.

    The body streams into ``dest + ".part"``; only a complete, verified body is
    renamed onto ``dest`` (atomic ``os.replace``). A ``.part`` left by an
    interrupted attempt or run (Ctrl-C, dropped connection, stall) keeps every
    byte that arrived and is resumed with ``Range``. Concurrent processes
    serialise on ``dest + ".lock"``; the second finds the finished file and
    returns it.

    Parameters
    ----------
    url : str
        HTTP(S) URL.
    dest : path
        Final file path. Parent folders are created.
    md5 : str, optional
        Expected MD5 hex digest. A mismatch deletes the partial file and retries
        from scratch; when retries run out, :class:`ChecksumError` is raised.
    resume : bool
        Resume a ``.part`` left by an earlier call. Default True.
    reject_html : bool
        Treat an HTML page served in place of the file as a failed attempt.
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total_or_None)``.
    overwrite : bool
        Download even if ``dest`` exists (the old file stays until the new one
        is complete and verified).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InvalidInputError
        ``url`` is not http(s), ``md5`` is not a hex digest (nothing is created).
    ParameterError
        A :mod:`corridor.settings` value (timeout, retries ...) is unusable.
    OutputError
        ``dest`` is a folder or cannot be written.
    DownloadError
        All attempts failed (connection refused, stalls, 5xx, truncated ...).
    ChecksumError
        The body never matched ``md5``.
    RemoteFileNotFound
        The server answered 404 (no retry).

    Examples
    --------
    >>> import functools, http.server, tempfile, threading
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "a.txt").write_bytes(b"hello")
    >>> class Quiet(http.server.SimpleHTTPRequestHandler):
    ...     def log_message(self, *args): pass
    >>> handler = functools.partial(Quiet, directory=str(tmp))
    >>> srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    >>> threading.Thread(target=srv.serve_forever, daemon=True).start()
    >>> url = f"http://127.0.0.1:{srv.server_address[1]}/a.txt"
    >>> download(url, tmp / "cache" / "a.txt", md5="5d41402abc4b2a76b9719d911017c592").read_bytes()
    b'hello'
    >>> request_bytes(url)
    b'hello'
    >>> srv.shutdown(); srv.server_close()
    """
    _check_settings()
    url = _check_url(url)
    md5 = _check_md5(md5)
    dest = _check_dest(dest)
    part = Path(str(dest) + ".part")

    with _locked(dest):
        if dest.exists() and not overwrite and (md5 is None or file_md5(dest) == md5):
            return dest
        if not resume:
            part.unlink(missing_ok=True)
        offset = 0

        def send(session: Any) -> Any:
            nonlocal offset
            offset = part.stat().st_size if part.exists() else 0
            headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={offset}-"} if offset else {})}
            return session.get(url, headers=headers, stream=True, timeout=settings.timeout)

        def consume(resp: Any) -> Path:
            _receive(url, resp, part, offset, progress)
            with open(part, "rb") as fh:
                head = fh.read(_HEAD)
            if reject_html and _looks_like_html(head):
                part.unlink(missing_ok=True)
                raise _Failed("server returned an HTML page instead of the file", "html")
            if md5 is not None and (got := file_md5(part)) != md5:
                part.unlink(missing_ok=True)
                raise _Failed(f"MD5 mismatch (expected {md5}, got {got})", "md5")
            os.replace(part, dest)
            return dest

        try:
            return _exchange(url, send, consume)
        except RemoteFileNotFound:
            part.unlink(missing_ok=True)  # the remote file is gone: the part is useless
            raise
        except DownloadError as exc:
            if isinstance(exc.__cause__, _Failed) and exc.__cause__.kind == "md5":
                raise ChecksumError(
                    f"{url} never matched its checksum {md5} in {settings.max_retries + 1} "
                    "attempts; the mirror may be updating, try again later"
                ) from exc
            raise
