"""Writing files safely: atomic replacement, and clean-up of the folders a failed write made.

Every writer of the package (layers, charts, maps, the report, Copernicus
provenance, sweep results) goes through :func:`atomic_output`, so a failed or
interrupted write never leaves a half-written file or an empty folder behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from corridor._errors import OutputError

__all__ = ["atomic_output", "file_hexdigest", "missing_folders", "remove_folders"]


def file_hexdigest(path: str | os.PathLike[str], algorithm: str | Callable[[], hashlib._Hash] = "sha256") -> str:
    """Hex digest of a file's content, streamed (:func:`hashlib.file_digest`).

    Parameters
    ----------
    path : str or path-like
        The file.
    algorithm : str or callable
        A :mod:`hashlib` algorithm name (``"sha256"``, ``"md5"``, ...) or a
        constructor of a hash object with ``update``/``hexdigest``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.bin"
    >>> _ = p.write_bytes(b"abc")
    >>> file_hexdigest(p, "md5")
    '900150983cd24fb0d6963f7d28e17f72'
    >>> file_hexdigest(p)[:16]
    'ba7816bf8f01cfea'
    """
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def missing_folders(folder: str | Path) -> list[Path]:
    """The folders ``Path(folder).mkdir(parents=True)`` would create, deepest first.

    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> [p.relative_to(base).as_posix() for p in missing_folders(base / "a" / "b")]
    ['a/b', 'a']
    """
    missing = []
    p = Path(folder).absolute()
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def remove_folders(folders: Sequence[Path]) -> None:
    """Remove folders a failed write created (from :func:`missing_folders`), each only if empty."""
    for f in folders:
        try:
            f.rmdir()
        except OSError:
            break


@contextlib.contextmanager
def atomic_output(path: str | Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The parent folder is created if needed. On any exception (or signal) the
    temporary file is removed, the folders this call created are removed
    again, and ``path`` is left as it was.

    Raises
    ------
    OutputError
        ``path`` is a directory or its folder cannot be created or written.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"output path {str(target)!r} is a directory; give a file name")
    created = missing_folders(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix or target.suffix}",
                                    dir=target.parent)
    except OSError as exc:
        remove_folders(created)
        raise OutputError(f"cannot write to {str(target.parent)!r}: {exc.strerror or exc}; "
                          "choose a writable folder") from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"nothing was written for {str(target)!r}")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        remove_folders(created)
        raise
