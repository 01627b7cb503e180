"""Chinese address normalisation and parsing: many written forms, one set of components.

People write the same door many ways: full-width digits (３号楼), 栋/幢/座 for 号楼,
"3-2-501" for building-unit-room, Chinese numerals (三单元), with or without
"陕西省榆林市榆阳区" in front. :func:`normalise_address` folds these into one form and
:func:`parse_address` splits it into road, house number, estate, building, unit and
room, the columns the address registry (``address_place``) is keyed on
(``gisgrid.address.registry``). Queries are matched by ``gisgrid.address.lookup``
(gazetteer, tokens, readings), not by this parser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["ParsedAddress", "estate_key", "normalise_address", "parse_address"]

#: Province-level names (short forms); a leading one, with any suffix, is dropped.
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门",
)
_PROVINCE_RE = re.compile(
    "^(?:中国|中华人民共和国)?(?:" + "|".join(PROVINCES) + ")"
    "(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
)
# A prefecture-level city directly followed by a county-level district: 榆林市榆阳区.
_CITY_DISTRICT_RE = re.compile(r"^[^\d]{2,4}?市(?=[^\d]{1,4}?(?:区|县|旗))")
_DISTRICT_RE = re.compile(r"^[^\d]{1,4}?(?:区|县|旗)(?=[^\d]+(?:路|街|巷|弄|胡同|道|里)\d)")
# Subdistrict and community names are optional hints in front of the street address.
_SUBAREA_RE = re.compile(r"^[^\d]{2,8}?(?:街道办事处|街道|镇|乡)(?=[^\d])")
_COMMUNITY_RE = re.compile(r"^[^\d]{2,8}?(?:社区居委会|社区|村委会|村)(?=[^\d])")

_ROAD_SUFFIX = r"(?:大道|大街|胡同|路|街|巷|弄|道|里)"
_ROAD_RE = re.compile(rf"^(?P<road>[^\d]{{1,14}}?{_ROAD_SUFFIX})(?P<no>\d+)号(?!楼)")
_TAIL_RE = re.compile(
    r"^(?P<estate>[^\d]*)"
    r"(?:(?P<building>\d+)号楼)?"
    r"(?:(?P<unit>\d+)单元)?"
    r"(?:(?P<room>[A-Z]?\d+[A-Z]?)室)?"
    r"(?P<rest>.*)$"
)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUMBER_RE = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=号楼|号|栋|幢|座|单元|室|户|层)"
                           r"|(?<=单元)([零〇一二两三四五六七八九十百]+)$")
_PUNCT_RE = re.compile(r"[\s,，、。．.;；:：()（）\[\]【】<>《》\"'“”‘’_/\\|]+")
_DASH_RE = re.compile(r"[－—–‐‑−~～]")
_ESTATE_SUFFIX_RE = re.compile(r"(?:小区|住宅小区|居住区)$")


@dataclass(frozen=True)
class ParsedAddress:
    """An address split into the components the registry is keyed on.

    Numbers are ints; ``estate`` keeps its written name (see :func:`estate_key` for the
    form compared); ``rest`` is whatever could not be placed (empty when all parsed).
    """

    road: str | None = None
    house_no: int | None = None
    estate: str | None = None
    building_no: int | None = None
    unit_no: int | None = None
    room: str | None = None
    rest: str = ""

    def canonical(self) -> str:
        """The canonical written form: ``{road}{n}号{estate}{b}号楼{u}单元{room}室``."""
        parts = [self.road or "", f"{self.house_no}号" if self.house_no is not None else "",
                 self.estate or "",
                 f"{self.building_no}号楼" if self.building_no is not None else "",
                 f"{self.unit_no}单元" if self.unit_no is not None else "",
                 f"{self.room}室" if self.room else ""]
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cn_number(text: str) -> int:
    """Chinese numeral below 1000 (三, 十二, 二十, 一百零五) to int."""
    if all(ch in _CN_DIGITS for ch in text):   # digit by digit: 五零一 -> 501
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def _strip_admin_prefix(text: str, known: Iterable[str]) -> str:
    """Drop province, city, district, subdistrict and community names in front."""
    text = _PROVINCE_RE.sub("", text, count=1)
    for name in sorted(known, key=len, reverse=True):   # e.g. 榆阳区 from the registry
        at = text.find(name, 0, len(name) + 8)
        if name and at >= 0:
            text = text[at + len(name):]
            break
    else:
        text = _CITY_DISTRICT_RE.sub("", text, count=1)
        text = _DISTRICT_RE.sub("", text, count=1)
    text = _SUBAREA_RE.sub("", text, count=1)
    return _COMMUNITY_RE.sub("", text, count=1)


def normalise_address(text: str, *, known_areas: Iterable[str] = ()) -> str:
    """Fold the written variants of an address into one form.

    Full-width digits and letters become ASCII (NFKC), spaces and punctuation go,
    Chinese numerals before 号/楼/单元/室 become digits, 栋/幢/座/# become 号楼, 户 and
    房 become 室, ``b-u-r`` becomes ``b号楼u单元r室``, and a leading province, city,
    district (any of ``known_areas`` or a ``…市…区`` pair), subdistrict and community
    are dropped.

    Parameters
    ----------
    text : str
        The address as written.
    known_areas : iterable of str
        Area names to drop when they lead the address (e.g. ``("榆阳区",)``).

    Returns
    -------
    str
        The normalised address.

    Examples
    --------
    >>> normalise_address("陕西省榆林市榆阳区长城路１２号 金林小区三栋２单元501户")
    '长城路12号金林小区3号楼2单元501室'
    >>> normalise_address("金林小区3-2-501")
    '金林小区3号楼2单元501室'
    """
    s = unicodedata.normalize("NFKC", str(text)).upper()
    s = _DASH_RE.sub("-", s)
    s = _PUNCT_RE.sub("", s)
    s = s.replace("#", "号")
    s = _CN_NUMBER_RE.sub(lambda m: str(_cn_number(m.group(1) or m.group(2))), s)
    s = _strip_admin_prefix(s, known_areas)
    s = re.sub(r"(\d+)(?:号楼|号栋|栋|幢|座|号幢|号座)", r"\1号楼", s)
    s = re.sub(r"(\d+)号(?=\d+单元)", r"\1号楼", s)          # 金林小区3号2单元
    s = re.sub(r"(\d+)(?:单元|门洞|门)", r"\1单元", s)
    s = re.sub(r"(\d+)(?:户|号房|房|室)", r"\1室", s)
    s = re.sub(r"(?<![\d-])(\d+)-(\d+)-([A-Z]?\d+[A-Z]?)(?:室)?$", r"\1号楼\2单元\3室", s)
    s = re.sub(r"(?<![\d-])(\d+)-(\d+)$", r"\1号楼\2单元", s)
    s = re.sub(r"(\d+单元)([A-Z]?\d+[A-Z]?)$", r"\1\2室", s)   # 2单元501 -> 2单元501室
    return s


def parse_address(text: str, *, known_areas: Iterable[str] = ()) -> ParsedAddress:
    """Normalise an address and split it into registry components.

    Parameters
    ----------
    text : str
        The address as written, in any of the forms :func:`normalise_address` folds.
    known_areas : iterable of str
        Area names that may lead the address and are dropped.

    Returns
    -------
    ParsedAddress
        Road, house number, estate, building, unit and room; missing parts are None.

    Examples
    --------
    >>> p = parse_address("榆阳区长城路12号金林小区3号楼2单元501室")
    >>> (p.road, p.house_no, p.estate, p.building_no, p.unit_no, p.room)
    ('长城路', 12, '金林小区', 3, 2, '501')
    >>> parse_address("金林小区３栋").building_no
    3
    """
    s = normalise_address(text, known_areas=known_areas)
    road = house_no = None
    m = _ROAD_RE.match(s)
    if m:
        road, house_no = m.group("road"), int(m.group("no"))
        s = s[m.end():]
    t = _TAIL_RE.match(s)
    assert t is not None  # every group is optional: the pattern always matches
    estate = t.group("estate") or None
    return ParsedAddress(
        road=road, house_no=house_no, estate=estate,
        building_no=int(t.group("building")) if t.group("building") else None,
        unit_no=int(t.group("unit")) if t.group("unit") else None,
        room=t.group("room"), rest=t.group("rest"),
    )


def estate_key(name: str | None) -> str | None:
    """The form estate names are compared in: normalised, without a trailing 小区.

    Examples
    --------
    >>> estate_key("金林小区"), estate_key("金林"), estate_key("星元苑")
    ('金林', '金林', '星元苑')
    """
    if not name:
        return None
    s = _PUNCT_RE.sub("", unicodedata.normalize("NFKC", name).upper())
    return _ESTATE_SUFFIX_RE.sub("", s) or s
