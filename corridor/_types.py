"""Small immutable value types shared by every module.

Examples
--------
>>> from corridor._types import BBox
>>> b = BBox(44.0, 39.0, 46.5, 41.0)
>>> b.width, b.height
(2.5, 2.0)
>>> b.contains(45.0, 40.0)
True
>>> BBox(46.0, 39.0, 44.0, 41.0)
Traceback (most recent call last):
...
corridor._errors.InvalidBBoxError: bbox left (46.0) is greater than right (44.0); give BBox(left, bottom, right, top) in degrees
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from corridor._errors import InvalidBBoxError

if TYPE_CHECKING:
    from shapely.geometry import Polygon

__all__ = ["DEFAULT_GAUGE_MM", "NATIONAL_GAUGE_MM", "OUTSIDE", "REGION_BBOX", "ROAD_LEVELS", "UNITS", "BBox", "Place"]

#: Country units of the region pack. NAX (Nakhchivan) is part of Azerbaijan.
UNITS: dict[str, str] = {
    "ARM": "Armenia",
    "AZE": "Azerbaijan (mainland)",
    "NAX": "Nakhchivan Autonomous Republic (Azerbaijan)",
    "GEO": "Georgia",
    "TUR": "Türkiye",
    "IRN": "Iran",
    "RUS": "Russia",
}
#: Key for a route's part outside every country unit (over water, off the region pack), beside the units'
#: codes in per-unit figures (``length_km_outside``).
OUTSIDE = "outside"

#: National track gauge (mm) of each unit (corridors.md: Türkiye and Iran 1435 mm; Armenia,
#: Azerbaijan, Nakhchivan, Georgia and Russia 1520 mm). The one table of it: the network assumes it
#: for rail edges without a gauge tag that no tagged track connects to.
NATIONAL_GAUGE_MM: dict[str, int] = {"ARM": 1520, "AZE": 1520, "NAX": 1520, "GEO": 1520, "RUS": 1520,
                                     "TUR": 1435, "IRN": 1435}
#: Gauge assumed off every unit of the table (standard gauge).
DEFAULT_GAUGE_MM = 1435
#: OSM road classes (``highway=*``) from the top of the hierarchy down.
ROAD_LEVELS: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
                                "track")


class _BBoxFields(NamedTuple):
    left: float
    bottom: float
    right: float
    top: float


class BBox(_BBoxFields):
    """A bounding box in EPSG:4326 degrees: ``BBox(left, bottom, right, top)``.

    The constructor validates: every value finite, ``left <= right``,
    ``bottom <= top``, longitudes in [-180, 180], latitudes in [-90, 90].
    """

    __slots__ = ()

    def __new__(cls, left: float, bottom: float, right: float, top: float) -> BBox:
        try:
            vals = [float(v) for v in (left, bottom, right, top)]
        except (TypeError, ValueError) as exc:
            raise InvalidBBoxError(
                f"bbox values must be numbers, got {(left, bottom, right, top)!r}; "
                "give BBox(left, bottom, right, top) in degrees"
            ) from exc
        l_, b_, r_, t_ = vals
        if not all(math.isfinite(v) for v in vals):
            raise InvalidBBoxError(f"bbox has a non-finite value {tuple(vals)!r}; use finite degrees")
        if l_ > r_:
            raise InvalidBBoxError(
                f"bbox left ({l_}) is greater than right ({r_}); "
                "give BBox(left, bottom, right, top) in degrees"
            )
        if b_ > t_:
            raise InvalidBBoxError(
                f"bbox bottom ({b_}) is greater than top ({t_}); "
                "give BBox(left, bottom, right, top) in degrees"
            )
        if not (-180 <= l_ <= 180 and -180 <= r_ <= 180 and -90 <= b_ <= 90 and -90 <= t_ <= 90):
            raise InvalidBBoxError(
                f"bbox {tuple(vals)!r} is outside lon [-180, 180] / lat [-90, 90]; "
                "projected coordinates are not accepted, give degrees (EPSG:4326)"
            )
        return super().__new__(cls, l_, b_, r_, t_)

    @classmethod
    def parse(cls, text: str) -> BBox:
        """Parse ``"left,bottom,right,top"`` (as typed on the command line).

        >>> BBox.parse("44,39,46.5,41")
        BBox(left=44.0, bottom=39.0, right=46.5, top=41.0)
        """
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) != 4:
            raise InvalidBBoxError(
                f"bbox {text!r} must have four comma-separated numbers: left,bottom,right,top"
            )
        try:
            nums = [float(p) for p in parts]
        except ValueError as exc:
            raise InvalidBBoxError(
                f"bbox {text!r} has a value that is not a number; use left,bottom,right,top"
            ) from exc
        return cls(*nums)

    @property
    def width(self) -> float:
        """Width in degrees of longitude."""
        return self.right - self.left

    @property
    def height(self) -> float:
        """Height in degrees of latitude."""
        return self.top - self.bottom

    def contains(self, lon: float, lat: float) -> bool:
        """True if the point lies inside or on the edge of the box."""
        return self.left <= lon <= self.right and self.bottom <= lat <= self.top

    def intersects(self, other: BBox) -> bool:
        """True if the two boxes overlap (touching counts)."""
        return not (
            other.left > self.right
            or other.right < self.left
            or other.bottom > self.top
            or other.top < self.bottom
        )

    def buffer(self, deg: float) -> BBox:
        """A box grown by ``deg`` degrees on every side (clamped to the globe)."""
        return BBox(
            max(-180.0, self.left - deg),
            max(-90.0, self.bottom - deg),
            min(180.0, self.right + deg),
            min(90.0, self.top + deg),
        )

    def to_polygon(self) -> Polygon:
        """The box as a shapely Polygon."""
        from shapely.geometry import box

        return box(self.left, self.bottom, self.right, self.top)


@dataclass(frozen=True)
class Place:
    """A named point: a town, station, border crossing or waypoint.

    Attributes
    ----------
    name : str
        Display name.
    lon, lat : float
        EPSG:4326 degrees.
    unit : str or None
        Country unit code (see :data:`UNITS`) at the point, ``None`` outside.
    kind : str
        ``city``, ``town``, ``village``, ``border_crossing``, ``rail_station``,
        ``checkpoint``, ``bridge``, ``waypoint`` or ``coordinate``.
    country : str
        ISO 3166-1 alpha-2 code from the source (``AZ`` for Nakhchivan too).
    source : str
        Where the coordinate comes from (GeoNames id, cited page, user input).
    """

    name: str
    lon: float
    lat: float
    unit: str | None = None
    kind: str = "waypoint"
    country: str = ""
    source: str = ""
    alt_names: tuple[str, ...] = field(default=(), compare=False)

    @property
    def xy(self) -> tuple[float, float]:
        """``(lon, lat)``."""
        return (self.lon, self.lat)


#: Extent of the embedded region pack (the South Caucasus and its border zones), in degrees.
REGION_BBOX = BBox(42.5, 37.8, 51.0, 42.5)
