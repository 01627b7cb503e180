"""Address lookup against the demo's address registry (built at demo load)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisgrid.address.lookup import address_context, lookup_address, lookup_addresses
from gisgrid.address.registry import rebuild_address_registry
from gisgrid.errors import AddressNotFoundError, InvalidInputError, UnknownCoordsysError
from gisgrid.lookup.point import lookup_points

PREFIX = "陕西省榆林市榆阳区"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def written_forms(address: str) -> list[str]:
    """Three more ways people write a demo address."""
    short = address.removeprefix(PREFIX)
    return [
        address.translate(FULL_WIDTH),                         # full-width digits
        re.sub(r"(\d+)号楼", r"\1栋", short),                    # 栋, no province/city/district
        "榆阳区" + re.sub(r"(\d+)号楼(\d+)单元(\d+)室$", r"\1-\2-\3", short),  # 3-2-501
    ]


def test_demo_households_resolve_to_their_grid_in_three_written_forms(session: Session) -> None:
    # Every 7th household (8,458 of them, 25,374 queries): the whole set of forms is the
    # acceptance set's job (test_address_acceptance.py).
    homes = session.execute(text("""
        SELECT id, address, ST_X(location), ST_Y(location) FROM household
        WHERE district_code = '610802' AND id % 7 = 0 ORDER BY id
    """)).all()
    grids = [r and r["grid"]["id"] for r in lookup_points(session, [(h[2], h[3]) for h in homes])]
    queries = [q for h in homes for q in written_forms(h.address)]
    answers = lookup_addresses(session, queries)
    wrong = []
    for k, answer in enumerate(answers):
        home, grid = homes[k // 3], grids[k // 3]
        if (answer is None or answer["match"]["level"] != "household"
                or answer["match"]["address"] != home.address or answer["grid"]["id"] != grid
                or answer["match"]["confidence"] < 0.95):
            wrong.append((queries[k], answer and answer["match"]))
    assert len(homes) > 8_000 and not wrong, wrong[:5]


def test_a_single_lookup_answers_as_the_batch_does(session: Session) -> None:
    addresses = session.execute(text(
        "SELECT address FROM household ORDER BY id DESC LIMIT 20")).scalars().all()
    queries = [q for a in addresses for q in written_forms(a)] + ["星元园1号楼", "火星路1号"]
    batch = lookup_addresses(session, queries)
    gaz, view = address_context(session)
    for q, expected in zip(queries, batch, strict=True):
        if expected is None:
            with pytest.raises(AddressNotFoundError):
                lookup_address(session, q, gazetteer=gaz, view=view)
        else:
            assert lookup_address(session, q, gazetteer=gaz, view=view) == expected


def test_the_answer_has_the_contract_shape_and_a_full_confidence(session: Session) -> None:
    address = session.execute(text("SELECT address FROM household ORDER BY id LIMIT 1")).scalar_one()
    got = lookup_address(session, address)
    assert set(got) >= {"match", "grid", "candidates"}
    assert set(got["match"]) >= {"address", "confidence", "location"}
    assert got["match"]["confidence"] == 1.0
    assert got["match"]["location"]["type"] == "Point"
    assert set(got["grid"]) == {"id", "code", "name", "kind"}


def test_a_misspelt_estate_is_matched_fuzzily_with_less_confidence(session: Session) -> None:
    estate, name, address = session.execute(text("""
        SELECT estate, name, address FROM building WHERE estate IS NOT NULL
        ORDER BY length(regexp_replace(estate, '小区$', '')) DESC, id LIMIT 1""")).one()
    typo = estate[0] + "x" + estate[2:]          # one character wrong
    got = lookup_address(session, f"{typo}{name}")
    # a slip in a two-character core confirmed only by a building number stays doubtful
    assert 0.3 <= got["match"]["confidence"] < 1.0
    assert got["match"]["address"].endswith(f"{estate}{name}") or estate in got["match"]["address"]


def test_a_room_that_does_not_exist_falls_back_to_its_unit(session: Session) -> None:
    address = session.execute(text("SELECT address FROM household ORDER BY id LIMIT 1")).scalar_one()
    unit = re.sub(r"\d+室$", "", address)
    got = lookup_address(session, unit + "9999室")
    assert got["match"]["level"] == "building" and got["match"]["confidence"] < 1.0
    assert got["match"]["household"] == {"unit": int(re.search(r"(\d+)单元$", unit).group(1)), "room": None}


def test_a_door_number_not_in_the_registry_gives_its_road_at_low_confidence(session: Session) -> None:
    road = session.execute(text("SELECT name FROM address_road WHERE kind = 'road' ORDER BY name LIMIT 1")
                           ).scalar_one()
    got = lookup_address(session, f"{road}999号")
    assert got["match"]["level"] == "road" and got["match"]["confidence"] < 0.5
    assert len(got["candidates"]) >= 1


def test_a_bare_road_name_gives_a_point_on_that_road(session: Session) -> None:
    road = session.execute(text("SELECT name FROM address_road ORDER BY name LIMIT 1")).scalar_one()
    got = lookup_address(session, road)
    assert got["match"]["level"] == "road" and got["match"]["address"] == road


def test_unknown_addresses_empty_queries_and_bad_coordsys_are_refused(session: Session) -> None:
    with pytest.raises(AddressNotFoundError) as err:
        lookup_address(session, "火星路1号")
    assert err.value.code == "address_not_found"
    with pytest.raises(InvalidInputError):
        lookup_address(session, "  ")
    with pytest.raises(UnknownCoordsysError):
        lookup_address(session, "星元苑1号楼", coordsys="mars")


def test_locations_come_back_in_the_coordsys_asked_for(session: Session) -> None:
    address = session.execute(text("SELECT address FROM household ORDER BY id LIMIT 1")).scalar_one()
    wgs = lookup_address(session, address)["match"]["location"]["coordinates"]
    gcj = lookup_address(session, address, coordsys="gcj02")["match"]["location"]["coordinates"]
    assert 0.001 < abs(gcj[0] - wgs[0]) < 0.01


def test_rebuilding_the_registry_is_repeatable(session: Session) -> None:
    before = session.execute(text("SELECT count(*) FROM address_place")).scalar_one()
    written = rebuild_address_registry(session, district_code="610802")
    assert written["address_place"] == before == session.execute(
        text("SELECT count(*) FROM address_place")).scalar_one()
    assert unicodedata.normalize("NFKC", "１") == "1"   # the premise of the full-width form
