import math
import re

import pytest

from corridor import BBox, CorridorError, InvalidBBoxError


def test_bbox_fields_and_props():
    b = BBox(44, 39, 46.5, 41)
    assert (b.left, b.bottom, b.right, b.top) == (44.0, 39.0, 46.5, 41.0)
    assert b.width == 2.5 and b.height == 2.0
    assert b.contains(45, 40) and not b.contains(47, 40)
    assert b.intersects(BBox(46, 40, 48, 42)) and not b.intersects(BBox(47, 40, 48, 42))
    assert b.to_polygon().bounds == tuple(b)


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((46, 39, 44, 41), "left (46.0) is greater than right (44.0)"),
        ((44, 41, 46, 39), "bottom (41.0) is greater than top (39.0)"),
        ((44, math.nan, 46, 41), "non-finite"),
        ((400000, 4400000, 500000, 4500000), "projected coordinates"),
        (("a", 1, 2, 3), "must be numbers"),
    ],
)
def test_bbox_rejects(args, fragment):
    with pytest.raises(InvalidBBoxError, match=re.escape(fragment)) as ei:
        BBox(*args)
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, CorridorError)


def test_bbox_parse():
    assert BBox.parse("44, 39,46.5,41") == BBox(44, 39, 46.5, 41)
    with pytest.raises(InvalidBBoxError, match="four comma-separated"):
        BBox.parse("1,2,3")
