"""Address normalisation, parsing and scoring (no database)."""

from __future__ import annotations

import pytest

from gisgrid.address.parse import ParsedAddress, estate_key, normalise_address, parse_address

FULL = "陕西省榆林市榆阳区长城路12号金林小区3号楼2单元501室"
CANONICAL = ParsedAddress(road="长城路", house_no=12, estate="金林小区", building_no=3, unit_no=2,
                          room="501")


@pytest.mark.parametrize("written", [
    FULL,
    "长城路12号金林小区3号楼2单元501室",                        # no province/city/district
    "榆阳区长城路12号金林小区3号楼2单元501室",                  # district only
    "陕西榆林榆阳区长城路12号金林小区3号楼2单元501室",          # short province and city
    "陕西省榆林市榆阳区长城路１２号金林小区３号楼２单元５０１室",  # full-width digits
    "长城路12号金林小区3栋2单元501室",                          # 栋
    "长城路12号金林小区3幢2单元501",                            # 幢, room without 室
    "长城路12号金林小区3座2单元501户",                          # 座, 户
    "长城路12号 金林小区 3#楼 2单元 501",                       # spaces and 3#楼
    "长城路十二号金林小区三号楼二单元五零一室",                  # Chinese numerals
    "长城路12号金林小区3-2-501",                                # building-unit-room
    "长城路12号金林小区3号2单元501室",                          # 3号 before a unit is a building
    "榆阳区鼓楼街道三官会社区长城路12号金林小区3号楼2单元501室",  # subdistrict and community
])
def test_written_variants_of_one_address_parse_to_the_same_components(written: str) -> None:
    assert parse_address(written, known_areas=["榆阳区", "鼓楼街道", "三官会社区"]) == CANONICAL


def test_full_width_letters_and_digits_become_ascii() -> None:
    assert normalise_address("ＡＢ路７号") == "AB路7号"


def test_leading_area_names_are_dropped_even_without_a_province() -> None:
    assert normalise_address("榆林市榆阳区新建路3号") == "新建路3号"
    assert normalise_address("某某区新建路3号", known_areas=["某某区"]) == "新建路3号"


def test_a_road_named_like_a_market_is_not_taken_for_a_city() -> None:
    assert parse_address("新市场路3号").road == "新市场路"


@pytest.mark.parametrize(("written", "road"), [
    ("明珠大道12号", "明珠大道"), ("人民大街5号", "人民大街"), ("光井巷1号", "光井巷"),
    ("南锣鼓巷弄3号", "南锣鼓巷弄"), ("东四胡同8号", "东四胡同"),
])
def test_every_road_suffix_is_recognised(written: str, road: str) -> None:
    parsed = parse_address(written)
    assert parsed.road == road and parsed.rest == ""


def test_an_estate_address_without_a_road_keeps_the_estate() -> None:
    p = parse_address("星元苑1号楼1单元101室")
    assert (p.road, p.estate, p.building_no, p.unit_no, p.room) == (None, "星元苑", 1, 1, "101")


def test_canonical_form_writes_every_component_back() -> None:
    assert CANONICAL.canonical() == "长城路12号金林小区3号楼2单元501室"


def test_estate_key_ignores_a_trailing_xiaoqu_and_width() -> None:
    assert estate_key("金林小区") == estate_key("金林") == estate_key("金林 小区") == "金林"
    assert estate_key(None) is None
