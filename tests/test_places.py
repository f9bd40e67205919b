import pytest

from corridor import CorridorError, InvalidInputError, UnknownPlaceError
from corridor.data import candidates, lookup, resolve, resolve_all
from corridor.data.places import CROSSING_KINDS, border_between, table


def test_transliterations_of_julfa_are_two_places():
    az = {lookup(n, country="AZ") for n in ("Julfa", "Culfa", "Jolfa")}
    ir = {lookup(n, country="IR") for n in ("Julfa", "Culfa", "Jolfa")}
    assert len(az) == 1 and len(ir) == 1 and az != ir
    assert next(iter(az)).unit == "NAX" and next(iter(ir)).unit == "IRN"
    assert {p.country for p in candidates("Julfa")} == {"AZ", "IR"}


@pytest.mark.parametrize("query, expected", [
    ("meghri", "Meghri"), ("MEGHRI", "Meghri"), ("Ağbənd", "Aghband"), ("Agbend", "Aghband"),
    ("Naxçıvan", "Naxçıvan"), ("Nakhchivan", "Naxçıvan"), ("Dogukapi", "Doğukapı"),
    ("Sədərək", "Sadarak"), ("Julfa, IR", "Julfa"), ("Gyumri", "Gyumri"),
])
def test_tolerant_matching(query, expected):
    assert lookup(query).name == expected


def test_country_suffix_syntax():
    assert lookup("Julfa (IR)").country == "IR"
    assert lookup("Julfa, NAX").country == "AZ"


def test_unknown_place_lists_nearest():
    assert lookup("Meghrii").name == "Meghri"  # doubled letters are folded
    with pytest.raises(UnknownPlaceError, match=r"unknown place 'Meghrazz'.*Meghr") as ei:
        lookup("Meghrazz")
    assert isinstance(ei.value, LookupError) and isinstance(ei.value, CorridorError)


def test_resolve_coordinates_and_errors():
    p = resolve((46.24, 38.9))
    assert p.unit == "ARM" and p.kind == "coordinate"
    assert resolve("46.24, 38.9").lon == 46.24
    with pytest.raises(CorridorError, match="at least two waypoints"):
        resolve_all(["Meghri"])
    with pytest.raises(InvalidInputError, match=r"^the start and end are the same place \(Meghri at 46\.2431, "):
        resolve_all(["Meghri", "Meghri"])
    meghri = resolve("Meghri")
    with pytest.raises(InvalidInputError, match=r"waypoints 2 and 3 of 4 .*'Meghri' and \(46\.24308"):
        resolve_all(["Agarak", meghri, meghri.xy, "Ordubad"])  # the same point, by name and by coordinates
    # a route may come back to a place; only consecutive repeats are refused
    assert [p.name for p in resolve_all(["Meghri", "Agarak", "Meghri"])] == ["Meghri", "Agarak", "Meghri"]
    with pytest.raises(CorridorError, match="not in degrees"):
        resolve((500000.0, 4300000.0))


def test_crossing_points_carry_the_border_they_are_on():
    t = table()
    points = t[t["kind"].isin(CROSSING_KINDS)]
    border = dict(zip(points["name"], points["border"], strict=True))
    # the border is the unordered pair of units either side, not the units within some distance:
    # Salammelik is ~1 km from Iran, Kalaleh ~3 km from Armenia, Dilucu ~0.8 km from Iran
    assert border == {"Kayan (approx.)": ("ARM", "AZE"), "Salammelik (approx.)": ("ARM", "NAX"),
                      "Kalaleh (approx.)": ("AZE", "IRN"), "Alican": ("ARM", "TUR"), "Dilucu": ("NAX", "TUR"),
                      "Doğukapı": ("ARM", "TUR")}
    assert t.loc[~t["kind"].isin(CROSSING_KINDS), "border"].isna().all()


def test_border_between_needs_the_other_side_within_reach():
    assert border_between(46.569, 38.891) == ("AZE", "IRN")  # in Iran at the Aghband bridge
    assert border_between(44.51, 40.18) is None  # Yerevan, far from every other unit
    assert border_between(43.7374, 40.7299) == ("ARM", "TUR")  # Doğukapı, 0.9 km from Armenia
    assert border_between(43.7374, 40.7299, reach_m=500.0) is None


def test_a_name_matching_places_in_two_countries_warns_which_was_taken(caplog):
    """'Julfa' is a town in Nakhchivan and a town across the Araks in Iran: the lookup takes the first and
    says so, naming the other and how to choose (it used to log this only at INFO, unseen without -v);
    a name with its country, or one that matches one country's places, is quiet."""
    import logging

    from corridor.data.places import lookup

    with caplog.at_level(logging.INFO, logger="corridor.data.places"):
        p = lookup("Julfa")
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "Julfa, IR" in warned[0].getMessage() and "', CC'" in warned[0].getMessage()
    assert p.country == "AZ"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="corridor.data.places"):
        assert lookup("Julfa, IR").country == "IR"
        lookup("Meghri")
    assert not caplog.records


def test_the_same_place_twice_is_named_once_in_plain_words():
    with pytest.raises(InvalidInputError) as err:
        resolve_all(["45.41,39.21", "45.41,39.21"])
    assert str(err.value) == ("the start and end are the same place (45.4100, 39.2100); give two different places")
    with pytest.raises(InvalidInputError) as err:
        resolve_all(["Kars", "Gyumri", "Gyumri"])
    assert str(err.value).startswith("waypoints 2 and 3 of 3 are the same place (Gyumri at ")
    with pytest.raises(InvalidInputError, match=r"^the start and end \('Kars' and 'kars'\) are the same place"):
        resolve_all(["Kars", "kars"])  # written two ways: both spellings are named
