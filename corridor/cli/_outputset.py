"""Output sets: the files one run writes into a folder, staged, described by a manifest, committed as a whole.

Every command that writes several files into a folder (``corridor compare``,
``corridor route --out``, ``corridor sweep``) writes them to a staging folder
inside ``--out`` (``.corridor-tmp-*``) and moves them in only when every file is
complete, so a failure leaves nothing half-written. The files of one run form
an *output set*, described by ``corridor-manifest.json`` (file names, sizes,
SHA-256 and the run's provenance). A folder holds one output set: a new set,
whichever command wrote it, replaces the earlier one as a whole (see
:func:`staged_output`). The earlier set's files that the new one lacks are
removed, but only files its manifest lists, with a name of :data:`SET_FILES`
and unchanged since; if any move fails the earlier set is put back. Other
files in the folder are never touched (only a file named as one of the new
set's files is replaced by it).

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "new-folder"
>>> check_out_dir(out) == out
True
>>> check_out_dir(pathlib.Path(tempfile.mkstemp()[1]))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
corridor._errors.OutputError: --out ... is a file, not a folder; give a folder name (it is created if missing)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from corridor._errors import CorridorError, OutputError
from corridor._files import file_hexdigest, missing_folders, remove_folders
from corridor._version import __version__
from corridor.cli._json import json_text

log = logging.getLogger(__name__)

__all__ = ["MANIFEST", "OUTPUT_FILES", "SENSITIVITY_FILE", "SET_FILES", "STAGING_PREFIX", "SWEEP_FILES",
           "check_out_dir", "check_out_file", "clean_stale_staging", "os_error_text", "read_manifest", "sha256_file", "staged_output"]

#: Files written by ``corridor compare`` (in this order); ``published.csv`` is the modelled-vs-published
#: table (:func:`corridor.evaluation.published.published_table`).
OUTPUT_FILES = ("summary.csv", "published.csv", "routes.gpkg", "routes-hillshade.tif", "routes.qgs", "profiles.png",
                "comparison.png", "map.html", "report.html")
#: The optional file of ``corridor compare --sensitivity``.
SENSITIVITY_FILE = "sensitivity.csv"
#: Files written by ``corridor sweep``: the variants (GeoParquet) and, for two scenarios or more, rank stability.
SWEEP_FILES = ("sweep.parquet", "sweep_summary.csv")
#: The manifest of an output set; moved in last, so a folder holding it holds the whole set.
MANIFEST = "corridor-manifest.json"
MANIFEST_FORMAT = "corridor-output-set"
MANIFEST_VERSION = 1
#: A manifest larger than this is not read (one lists a dozen files and the run's provenance: a few kB).
MANIFEST_MAX_BYTES = 4 << 20
#: Every name an output set may hold, of any command: the only files a later run ever removes as stale.
#: Plain file names (no separator, no ``..``), so a manifest can never name a file elsewhere.
SET_FILES = frozenset({*OUTPUT_FILES, SENSITIVITY_FILE, *SWEEP_FILES})
#: Prefix of staging (and roll-back) folders inside ``--out``.
STAGING_PREFIX = ".corridor-tmp-"
#: A staging folder whose process cannot be confirmed alive is removed once it is this old (s);
#: one whose process (on this host) has ended is removed at once.
STALE_STAGING_S = 3600.0


def os_error_text(exc: OSError) -> str:
    """What an :class:`OSError` says, for one line of an error message: its reason and the file it names.

    >>> import errno
    >>> os_error_text(OSError(errno.ENOSPC, "No space left on device", "/out/map.html"))
    "No space left on device: '/out/map.html'"
    >>> os_error_text(OSError("quota exceeded"))
    'quota exceeded'
    """
    text = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc.filename, str | bytes | os.PathLike):
        text += f": {os.fsdecode(exc.filename)!r}"
    return text


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def check_out_dir(out: str | Path, names: Sequence[str] = ()) -> Path:
    """Validate an output folder before any work: not a file, writable (or creatable).

    Parameters
    ----------
    out : str or Path
        The output folder.
    names : sequence of str
        File names the run will write there: none may be a folder already.

    Raises
    ------
    OutputError
        ``out`` is a file, lies under a file, the folder (or the nearest
        existing parent, if it must be created) is not writable, or a folder
        stands where one of ``names`` (or the manifest) must go.
    """
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise OutputError(f"--out {str(p)!r} is a file, not a folder; give a folder name "
                          "(it is created if missing)")
    if p.is_dir():
        if not _writable(p):
            raise OutputError(f"output folder {str(p)!r} is not writable; choose another --out folder "
                              "or fix its permissions")
        _check_targets(p, [*names, MANIFEST] if names else ())
        return p
    _check_creatable(p, f"cannot create --out {str(p)!r}", "choose another --out folder")
    return p


def check_out_file(out: str | Path) -> Path:
    """Validate an output file (``corridor map --out``) before any work: not a folder, its folder writable.

    The folder of the file may be missing: the nearest existing folder above it
    must then be writable (the missing ones are created when the file is written).

    Raises
    ------
    OutputError
        ``out`` is a folder, lies under a file, or its folder (or the nearest
        existing one above it, if it must be created) is not writable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> check_out_file(base / "new" / "map.html") == base / "new" / "map.html"
    True
    >>> check_out_file(base)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    corridor._errors.OutputError: --out ... is a folder, not a file; give the name of the file to write, e.g. ...
    """
    p = Path(out)
    if p.is_dir():
        raise OutputError(f"--out {str(p)!r} is a folder, not a file; give the name of the file to write, "
                          f"e.g. {str(p / 'map.html')!r}")
    folder = p.absolute().parent
    if folder.is_dir():
        if not _writable(folder):
            raise OutputError(f"cannot write --out {str(p)!r}: its folder {str(folder)!r} is not writable; "
                              "choose another --out file or fix the folder's permissions")
        return p
    _check_creatable(p, f"cannot write --out {str(p)!r}", "choose another --out file")
    return p


def _check_creatable(p: Path, problem: str, remedy: str) -> None:
    """The missing folders above ``p`` can be created: the nearest existing path above it is a writable folder."""
    parent = p.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{problem}: {str(parent)!r} is a file; give a folder path")
    if not _writable(parent):
        raise OutputError(f"{problem}: {str(parent)!r} is not writable; {remedy}")


def _check_targets(out: Path, names: Iterable[str]) -> None:
    """Refuse before anything is replaced: a folder stands where an output file must go."""
    for name in names:
        if _is_dir(out / name):
            raise OutputError(f"cannot write {name!r} in --out {str(out)!r}: a folder of that name is in "
                              "the way; move or rename it, or choose another --out folder")


def _is_dir(path: Path) -> bool:
    """A real folder (not a link to one) at ``path``."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of the file at ``path``."""
    return file_hexdigest(path)


def read_manifest(out: str | Path) -> dict[str, Any] | None:
    """The manifest of the output set in ``out``, or None if there is none (or it is unusable).

    Only a manifest of the expected shape is returned, its ``files`` reduced to
    entries with a plain file name of :data:`SET_FILES` and a SHA-256, so a
    damaged or hand-made manifest can never name other files.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_output(out) as tmp:
    ...     _ = (tmp / "summary.csv").write_text("a,b\\n")
    >>> [f["name"] for f in read_manifest(out)["files"]]
    ['summary.csv']
    """
    raw = _read_small_file(Path(out) / MANIFEST, MANIFEST_MAX_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
        return None
    files = [f for f in data["files"] if isinstance(f, dict) and isinstance(f.get("name"), str)
             and f["name"] in SET_FILES and isinstance(f.get("sha256"), str)
             and re.fullmatch(r"[0-9a-f]{64}", f["sha256"])]
    return {**data, "files": files}


def _read_small_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link) of at most ``limit`` bytes, else None.

    Opened without following a link and without blocking, so a FIFO, a device or
    a link to one is refused instead of hanging the run or filling its memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            data = f.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None


def _manifest(folder: Path, names: Sequence[str], prov: dict[str, Any] | None) -> dict[str, Any]:

    return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "software": f"corridor {__version__}",
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": [{"name": n, "bytes": (folder / n).stat().st_size, "sha256": sha256_file(folder / n)}
                      for n in names],
            "provenance": prov or {}}


def _stale_members(out: Path, new_names: Iterable[str]) -> list[str]:
    """Files of the earlier set that the new set lacks: listed by its manifest and unchanged since.

    Only names of :data:`SET_FILES` are considered (:func:`read_manifest` drops
    every other name), and only regular files (never a link or a folder). Whatever
    of such a name stays (changed after corridor wrote it, listed by no manifest,
    or not a regular file) is named in a warning: it is not part of the new set.
    """
    old = read_manifest(out)
    listed = {e["name"]: e["sha256"] for e in old["files"]} if old is not None else {}
    keep = set(new_names)
    stale = []
    for name in sorted(SET_FILES - keep):
        path = out / name
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                log.warning("leaving %s: not a regular file (a link, a folder, ...), so never removed; it is not "
                            "part of this output set", path)
                continue
            same = name in listed and sha256_file(path) == listed[name]
        except OSError:  # absent (the usual case) or unreadable
            continue
        if same:
            stale.append(name)
        elif name in listed:
            log.warning("leaving %s: it was changed after corridor wrote it; it is not part of this output set",
                        path)
        else:
            log.warning("leaving %s: no manifest of an earlier output set lists it; it is not part of this "
                        "output set", path)
    return stale


_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_STAGING_RE = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)\.([0-9a-f]{6})\.")


def _staging_prefix() -> str:
    """``.corridor-tmp-PID.HOST.``: lets a later run tell whether the folder's process is gone."""
    return f"{STAGING_PREFIX}{os.getpid()}.{_HOST}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, owned by someone else
        return True
    return True


def _restore_earlier_set(out: Path, aside: Path) -> None:
    """Put back the earlier set's files that a commit killed midway (``kill -9``) had moved ``aside``.

    The commit moves the earlier manifest aside first and the new one in last, so ``out`` without a
    manifest means the commit did not finish: the earlier files go back (over any new file of the same
    name). With a manifest in ``out`` the new set is whole and the earlier files are only leftovers.
    Only regular files with corridor's own names are moved (:data:`SET_FILES`)."""
    if os.path.lexists(out / MANIFEST):
        return
    back = []
    for name in sorted(SET_FILES | {MANIFEST}):
        src = aside / name
        try:
            if not stat.S_ISREG(os.lstat(src).st_mode):
                continue
            os.replace(src, out / name)
        except OSError:
            continue
        back.append(name)
    if back:
        log.warning("restored the earlier output set in %s (%s): a run was killed while replacing it",
                    out, ", ".join(back))


def clean_stale_staging(out: Path, *, max_age_s: float = STALE_STAGING_S) -> list[Path]:
    """Remove staging folders of earlier runs in ``out`` that can no longer finish.

    A folder named by this host's process that has ended goes at once; any
    other (another host's, or of an older corridor) once it is ``max_age_s``
    old. Folders of running processes are left alone.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(out))
    except OSError:
        return removed
    now = time.time()
    for e in entries:
        if not e.name.startswith(STAGING_PREFIX):
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        m = _STAGING_RE.match(e.name)
        if m and m.group(2) == _HOST and int(m.group(1)) == os.getpid():
            continue
        dead = bool(m and m.group(2) == _HOST and not _pid_alive(int(m.group(1))))
        if dead or now - st.st_mtime > max_age_s:
            if m and e.name[m.end():].startswith("old-"):  # a commit's aside folder
                _restore_earlier_set(out, Path(e.path))
            shutil.rmtree(e.path, ignore_errors=True)
            if not os.path.lexists(e.path):
                log.info("removed the staging folder %s of an earlier run that did not finish", e.path)
                removed.append(Path(e.path))
    return removed


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back while a short critical section runs; deliver them right after it.

    The handlers are swapped for one that only records the signal (whichever
    thread the OS delivers it to, Python runs handlers in the main thread), then
    restored, and a recorded signal is raised again for them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: held.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        if held:
            signal.raise_signal(held[0])


def _commit(out: Path, staged: Path, names: Sequence[str]) -> None:
    """Replace the output set in ``out`` by the files ``names`` of ``staged`` (manifest last), or roll back."""
    with _folder_lock(out):  # another run's commit into ``out`` waits: the set it reads is the one it replaces
        _commit_locked(out, staged, names)


@contextlib.contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder ``out`` itself (no lock file is added to it) while the block runs.

    Runs committing into one folder at once then do so one after the other,
    each reading the manifest of the set it replaces. Where the folder cannot
    be locked (no ``fcntl``, a file system without locks), the block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    try:
        fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for another run's commit; a signal still stops the wait
        yield
    finally:
        os.close(fd)  # releases the lock


def _commit_locked(out: Path, staged: Path, names: Sequence[str]) -> None:
    _check_targets(out, names)
    stale = _stale_members(out, names)
    aside = Path(tempfile.mkdtemp(prefix=_staging_prefix() + "old-", dir=out))
    moved_aside: list[str] = []
    moved_in: list[str] = []
    order = [n for n in names if n != MANIFEST] + [n for n in names if n == MANIFEST]
    with _signals_deferred():
        try:
            # the earlier manifest goes first (a half-replaced set never has one), then what is replaced
            for name in dict.fromkeys([MANIFEST, *order, *stale]):
                if os.path.lexists(out / name) and not _is_dir(out / name):  # never a folder (checked above)
                    os.replace(out / name, aside / name)
                    moved_aside.append(name)
            for name in order:
                os.replace(staged / name, out / name)
                moved_in.append(name)
        except BaseException as exc:
            _roll_back(out, aside, moved_aside, moved_in)
            if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                raise OutputError(f"cannot move the new files into --out {str(out)!r} ({exc.strerror or exc}); "
                                  "the earlier files were left as they were") from exc
            raise
        shutil.rmtree(aside, ignore_errors=True)  # the earlier set, and its stale members with it
    for name in stale:
        log.info("removed %s: part of the earlier output set, not of this one", out / name)


def _roll_back(out: Path, aside: Path, moved_aside: Sequence[str], moved_in: Sequence[str]) -> None:
    lost = []
    for name in reversed(moved_in):
        with contextlib.suppress(OSError):
            os.unlink(out / name)
    for name in reversed(moved_aside):
        try:
            os.replace(aside / name, out / name)
        except OSError as exc:
            lost.append(f"{name} ({exc.strerror or exc})")
    if lost:  # keep what could not be put back, and say where
        log.error("could not restore %s in %s; the earlier files are in %s", ", ".join(lost), out, aside)
    else:
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged_output(out: str | Path, *, provenance: dict[str, Any] | None = None) -> Iterator[Path]:
    """Yield a staging folder inside ``out``; on success its files replace the output set in ``out``.

    The staging folder is ``out/.corridor-tmp-PID.HOST.*``; staging folders of
    earlier runs that were killed are removed first (:func:`clean_stale_staging`).
    On success :data:`MANIFEST` is written beside the staged files (names,
    sizes, SHA-256, ``provenance``), then, with SIGINT/SIGTERM held back, the
    earlier set is moved aside, the new files moved in (the manifest last) and
    the earlier set's files the new one lacks removed: files its manifest lists
    (names of :data:`SET_FILES` only) and that nobody changed since, never other
    files. The earlier set may be of another command: a folder holds one output
    set. If a move fails, the earlier set is put back and :class:`OutputError`
    raised.

    Every file staged must have a name of :data:`SET_FILES`, so that a later
    set can remove it.

    On any error (or signal) the staging folder is removed, and ``out`` and the
    parent folders this call created too, so nothing half-written is left.

    Raises
    ------
    OutputError
        ``out`` cannot be created or written, a folder stands where a file
        must go (checked before anything is replaced), or a staged file has
        a name outside :data:`SET_FILES`.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "o"
    >>> with staged_output(out) as tmp:
    ...     _ = (tmp / "summary.csv").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['corridor-manifest.json', 'summary.csv']
    """

    out = check_out_dir(out)
    created = missing_folders(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(out)
        tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(), dir=out))
    except OSError as exc:
        remove_folders(created)
        raise OutputError(f"cannot write to --out {str(out)!r}: {exc.strerror or exc}; "
                          "choose a writable folder") from exc
    try:
        try:
            yield tmp
            names = sorted(p.name for p in tmp.iterdir()
                           if p.name != MANIFEST and p.is_file() and not p.is_symlink())
            foreign = [n for n in names if n not in SET_FILES]
            if foreign:  # a later set could not remove them: every file of a set must be one of SET_FILES
                raise OutputError(f"cannot write {', '.join(map(repr, foreign))} into --out {str(out)!r} as part "
                                  "of an output set: not a file name of corridor's output sets")
            _check_targets(out, [*names, MANIFEST])
            (tmp / MANIFEST).write_text(json_text(_manifest(tmp, names, provenance)) + "\n", encoding="utf-8")
            _commit(out, tmp, [*names, MANIFEST])
        except OSError as exc:  # writing a file (disk full, quota, I/O error) or preparing the commit
            if isinstance(exc, CorridorError):  # OutputError, a DataFileError of an input: said already
                raise
            raise OutputError(f"cannot write the output files into --out {str(out)!r}: {os_error_text(exc)}; "
                              "the earlier files there were left as they were") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_folders(created)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
