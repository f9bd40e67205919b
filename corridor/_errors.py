"""The exception hierarchy of :mod:`corridor`.

Every error the library raises on purpose derives from :class:`CorridorError`.
Each subclass *also* inherits the matching built-in exception, so callers can
catch either ``corridor.CorridorError`` or the built-in they already expect
(``ValueError``, ``LookupError``, ``OSError`` ...).

Messages name the offending value and say what to do about it. The CLI turns
any ``CorridorError`` into one line on stderr and exit code 2.

Examples
--------
>>> from corridor._errors import CorridorError, InvalidBBoxError
>>> issubclass(InvalidBBoxError, ValueError) and issubclass(InvalidBBoxError, CorridorError)
True
"""

from __future__ import annotations

__all__ = [
    "CRSMismatchError",
    "ChecksumError",
    "CorridorError",
    "DEMCoverageError",
    "DEMError",
    "DataFileError",
    "DataPackError",
    "DownloadError",
    "EmptyNetworkError",
    "InvalidBBoxError",
    "InvalidInputError",
    "MissingDependencyError",
    "NoFeasibleAlignment",
    "NoRouteError",
    "OSMParseError",
    "OutputError",
    "OutsideRegionError",
    "ParameterError",
    "RemoteFileNotFound",
    "ScenarioError",
    "UnknownPlaceError",
    "UnknownUnitError",
]


class CorridorError(Exception):
    """Root of every error raised on purpose by :mod:`corridor`."""


# --- bad values -----------------------------------------------------------
class InvalidInputError(CorridorError, ValueError):
    """An argument has the right type but a value that cannot be used."""


class InvalidBBoxError(InvalidInputError):
    """A bounding box is malformed (left > right, bottom > top, out of range, NaN)."""


class OutsideRegionError(InvalidInputError):
    """A coordinate lies outside the area the data covers."""


class UnknownUnitError(InvalidInputError):
    """A country-unit code is not one of the known units (ARM, AZE, NAX, ...)."""


class ParameterError(InvalidInputError):
    """A model parameter (unit cost, weight, grade ...) is negative, NaN or of the wrong type."""


class ScenarioError(InvalidInputError):
    """A scenario TOML file is missing keys, has wrong types or impossible values."""


class CRSMismatchError(InvalidInputError):
    """A geometry's coordinate reference system does not match what was expected."""


# --- lookups --------------------------------------------------------------
class UnknownPlaceError(CorridorError, LookupError):
    """A place name matched nothing in the gazetteer."""

    def __str__(self) -> str:  # LookupError/KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoRouteError(CorridorError, LookupError):
    """Origin and destination are not connected in the network."""


# --- data files -----------------------------------------------------------
class DataFileError(CorridorError, OSError):
    """A data file is missing, unreadable, empty, truncated or of the wrong format."""


class DataPackError(DataFileError):
    """A file of the embedded region pack is missing or fails its checksum."""


class OSMParseError(DataFileError):
    """An OSM PBF/XML file could not be parsed."""


class DEMError(DataFileError):
    """A DEM file could not be opened or read."""


class DEMCoverageError(CorridorError, ValueError):
    """A geometry leaves the DEM's extent or crosses nodata voids."""


class EmptyNetworkError(CorridorError, ValueError):
    """A network load produced no edges (empty file, filter or bbox)."""


class OutputError(CorridorError, OSError):
    """An output path cannot be written (is a file, has no permission ...)."""


# --- downloads ------------------------------------------------------------
class DownloadError(CorridorError, ConnectionError):
    """A download failed after all retries, or returned an unusable body.

    ``reason`` is the cause in a few words, without the URL or advice (``HTTP 503 after 2 attempts``),
    for a message that lists many failed downloads; by default it is the whole message.
    """

    def __init__(self, *args: object, reason: str | None = None) -> None:
        super().__init__(*args)
        self.reason = reason if reason is not None else str(args[0]) if args else ""


class ChecksumError(DownloadError):
    """A downloaded file does not match its published checksum."""


class RemoteFileNotFound(DownloadError):
    """The server answered 404: the file (e.g. a DEM tile over sea) does not exist."""


# --- algorithms -----------------------------------------------------------
class NoFeasibleAlignment(CorridorError, RuntimeError):
    """No alignment satisfies the constraints (units to stay in/avoid, grades)."""


# --- environment ----------------------------------------------------------
class MissingDependencyError(CorridorError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""
