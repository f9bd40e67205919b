"""Robust HTTP for every download path (Geofabrik, Copernicus, Overpass).

One place implements what every download needs:

* retries with exponential back-off, bounded by :data:`corridor.settings.max_retries`
  and :data:`corridor.settings.backoff_max`, honouring ``Retry-After`` on 429/503;
* a per-read timeout (a stalled server counts as a failed attempt);
* resume of an interrupted download with a ``Range`` request;
* verification: ``Content-Length``, an optional MD5, and a guard against HTML
  error pages served with status 200;
* an inter-process file lock and an atomic rename, so a bad, partial or
  concurrent response never becomes a cache entry.

Nothing here touches the network on import.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from . import settings
from ._errors import ChecksumError, DownloadError, RemoteFileNotFound

log = logging.getLogger(__name__)

__all__ = ["download", "file_md5", "request_bytes"]

RETRY_STATUS = {429, 500, 502, 503, 504}
ProgressFn = Callable[[int, int | None], None]


def _requests() -> Any:
    import requests

    return requests


def file_md5(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """MD5 hex digest of a file, streamed."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _retry_after(resp: Any) -> float | None:
    value = resp.headers.get("Retry-After") if resp is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _sleep_for(attempt: int, resp: Any = None) -> float:
    delay = settings.backoff_base * (2**attempt)
    ra = _retry_after(resp)
    if ra is not None:
        delay = max(delay, ra)
    return float(min(delay, settings.backoff_max))


def _looks_like_html(head: bytes) -> bool:
    h = head.lstrip()[:64].lower()
    if h.startswith((b"<!doctype html", b"<html")):
        return True
    return h.startswith(b"<?xml") and b"<html" in head[:512].lower()


class _Retryable(Exception):
    def __init__(self, msg: str, resp: Any = None) -> None:
        super().__init__(msg)
        self.resp = resp


def _with_retries(url: str, attempt_fn: Callable[[int], Any]) -> Any:
    """Run ``attempt_fn`` until it returns, retrying on :class:`_Retryable`."""
    last = ""
    tries = settings.max_retries + 1
    for attempt in range(tries):
        try:
            return attempt_fn(attempt)
        except _Retryable as exc:
            last = str(exc)
            if attempt + 1 >= tries:
                break
            delay = _sleep_for(attempt, exc.resp)
            log.warning("download of %s failed (%s); retry %d/%d in %.1fs",
                        url, last, attempt + 1, settings.max_retries, delay)
            time.sleep(delay)
    raise DownloadError(
        f"could not download {url} after {tries} attempts: {last}; "
        "check the network or the server URL in corridor.settings, then try again"
    )


def _classify(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def request_bytes(
    url: str,
    *,
    method: str = "GET",
    data: dict[str, str] | str | None = None,
    params: dict[str, str] | None = None,
    reject_html: bool = True,
) -> bytes:
    """Fetch a whole (small) response body with retries; raise :class:`DownloadError`.

    Used for Overpass queries and ``.md5`` files. The body is checked against its
    ``Content-Length`` and, with ``reject_html``, refused if it is an HTML page.
    """
    requests = _requests()

    def attempt(_: int) -> bytes:
        try:
            resp = requests.request(
                method, url, data=data, params=params, timeout=settings.timeout,
                headers={"User-Agent": settings.user_agent}, stream=True,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(_classify(exc)) from exc
        with contextlib.closing(resp):
            if resp.status_code in RETRY_STATUS:
                raise _Retryable(f"HTTP {resp.status_code}", resp)
            if resp.status_code == 404:
                raise RemoteFileNotFound(f"{url} does not exist on the server (HTTP 404)")
            if resp.status_code >= 400:
                raise DownloadError(f"{url} answered HTTP {resp.status_code}; check the URL and query")
            try:
                body = b"".join(resp.iter_content(chunk_size=settings.chunk_size))
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                raise _Retryable(f"body interrupted: {_classify(exc)}") from exc
            expected = resp.headers.get("Content-Length")
            if expected is not None and "Content-Encoding" not in resp.headers and len(body) != int(expected):
                raise _Retryable(f"truncated body ({len(body)} of {expected} bytes)")
            if reject_html and _looks_like_html(body[:1024]):
                raise _Retryable("server returned an HTML page instead of data")
            return bytes(body)

    result: bytes = _with_retries(url, attempt)
    return result


@contextlib.contextmanager
def _locked(dest: Path) -> Iterator[None]:
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(dest) + ".lock", timeout=max(60.0, settings.timeout * 10))
    with lock:
        yield


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
    interrupted run (Ctrl-C, dropped connection) is resumed with ``Range``.
    Concurrent processes serialise on ``dest + ".lock"``.

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
        Resume an existing ``.part`` file. Default True.
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
    DownloadError
        All attempts failed (connection refused, stalls, 5xx, truncated ...).
    ChecksumError
        The body never matched ``md5``.
    RemoteFileNotFound
        The server answered 404 (no retry).
    """
    requests = _requests()
    dest = Path(dest)
    part = Path(str(dest) + ".part")
    md5_failures = [0]

    with _locked(dest):
        if dest.exists() and not overwrite and (md5 is None or file_md5(dest) == md5):
            return dest

        def attempt(_: int) -> Path:
            offset = part.stat().st_size if (resume and part.exists()) else 0
            if not resume and part.exists():
                part.unlink()
            headers = {"User-Agent": settings.user_agent}
            if offset:
                headers["Range"] = f"bytes={offset}-"
            try:
                resp = requests.get(url, headers=headers, stream=True, timeout=settings.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Retryable(_classify(exc)) from exc
            with contextlib.closing(resp):
                if resp.status_code in RETRY_STATUS:
                    raise _Retryable(f"HTTP {resp.status_code}", resp)
                if resp.status_code == 404:
                    raise RemoteFileNotFound(f"{url} does not exist on the server (HTTP 404)")
                if resp.status_code == 416 and offset:  # our .part is already whole or bad
                    part.unlink(missing_ok=True)
                    raise _Retryable("HTTP 416 for resume; restarting from zero")
                if resp.status_code >= 400:
                    raise DownloadError(f"{url} answered HTTP {resp.status_code}; check the URL")
                if resp.status_code == 200 and offset:
                    log.info("server ignored Range for %s; restarting from zero", url)
                    offset = 0
                length = resp.headers.get("Content-Length")
                total = (int(length) + offset) if length is not None else None
                done = offset
                mode = "ab" if offset else "wb"
                first = True
                try:
                    with open(part, mode) as f:
                        for chunk in resp.iter_content(chunk_size=settings.chunk_size):
                            if first and offset == 0 and reject_html and _looks_like_html(chunk[:1024]):
                                raise _Retryable("server returned an HTML page instead of the file")
                            first = False
                            f.write(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total)
                except (requests.ConnectionError, requests.Timeout,
                        requests.exceptions.ChunkedEncodingError) as exc:
                    raise _Retryable(f"interrupted after {done} bytes: {_classify(exc)}") from exc
                except _Retryable:
                    part.unlink(missing_ok=True)
                    raise
            if total is not None and done != total:
                raise _Retryable(f"truncated body ({done} of {total} bytes)")
            if md5 is not None:
                got = file_md5(part)
                if got != md5.lower():
                    part.unlink(missing_ok=True)
                    md5_failures[0] += 1
                    raise _Retryable(f"MD5 mismatch (expected {md5}, got {got})")
            os.replace(part, dest)
            return dest

        try:
            out: Path = _with_retries(url, attempt)
        except DownloadError as exc:
            if md5_failures[0] and "MD5 mismatch" in str(exc):
                raise ChecksumError(
                    f"{url} never matched its checksum {md5} in {settings.max_retries + 1} attempts; "
                    "the mirror may be updating, try again later"
                ) from exc
            raise
        return out
