"""Which column of a register holds what: the Chinese headers offices write, and cell values.

Registers are typed by hand, so one field goes by many names (楼栋, 楼号, 栋号, 楼栋号…).
A header is folded (full-width to ASCII, no spaces, no brackets or what they hold, such
as 人数（人）) and looked up among the names of each field of the register's kind; a
header under a merged group header (房屋信息 → 楼栋) is read by its own name first,
then by the group's. Values are folded the same way where they are numbers (３栋,
`3.0` from Excel, 13900001234.0 as a phone).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from gisgrid.errors import InvalidRegisterError

__all__ = ["FIELDS", "KINDS", "cell_text", "field_for", "map_columns", "parse_count"]

#: The kinds of register, and the names each field goes by (folded, see :func:`_fold_header`).
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "households": {
        "id": ("编号", "户号", "户编号", "登记编号", "住户编号", "id"),
        "community": ("社区", "所属社区", "社区名称"),
        "estate": ("小区", "小区名称", "小区名", "楼盘", "院落", "小区院落"),
        "building": ("楼栋", "楼号", "栋号", "楼栋号", "幢号", "楼"),
        "unit": ("单元", "单元号"),
        "room": ("室", "门牌", "门牌号", "房号", "室号", "房间号", "户室号", "房间"),
        "address": ("地址", "住址", "详细地址", "房屋地址", "现住址", "居住地址", "楼栋单元室", "房屋",
                    "房屋位置", "住房", "门牌地址"),
        "head": ("户主", "户主姓名", "姓名", "户主名"),
        "size": ("人数", "家庭人数", "户人数", "人口数", "人口", "居住人数", "常住人数"),
        "phone": ("电话", "联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"),
    },
    "shops": {
        "id": ("编号", "商户编号", "统一社会信用代码", "信用代码", "登记编号", "id"),
        "name": ("商户名称", "店名", "名称", "店铺名称", "单位名称", "商户", "店铺", "字号"),
        "category": ("类别", "行业", "经营类别", "类型", "业态", "行业类别"),
        "operator": ("经营者", "负责人", "法人", "法定代表人", "联系人", "经营者姓名"),
        "phone": ("电话", "联系电话", "手机", "手机号", "联系方式"),
        "address": ("地址", "经营地址", "详细地址", "门牌", "门牌号", "住所"),
    },
    "buildings": {
        "id": ("编号", "楼栋编号", "登记编号", "id"),
        "community": ("社区", "所属社区"),
        "estate": ("小区", "小区名称", "小区名", "楼盘", "院落"),
        "building": ("楼栋", "楼号", "栋号", "楼栋号", "幢号", "楼"),
        "address": ("地址", "详细地址", "门牌", "门牌号", "楼栋地址"),
        "floors": ("层数", "楼层数", "楼层", "地上层数", "总层数"),
    },
    "staff": {
        "id": ("编号", "工号", "人员编号", "id"),
        "name": ("姓名", "名字", "网格员", "网格员姓名"),
        "phone": ("电话", "联系电话", "手机", "手机号", "联系方式"),
        "role": ("角色", "岗位", "职务", "类别", "网格职务"),
        "grid": ("网格", "网格编码", "网格编号", "所属网格", "网格代码", "网格名称"),
    },
}
KINDS = tuple(FIELDS)

_BRACKETS_RE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_ALTERNATIVES_RE = re.compile(r"[/、|或]")
_NOISE_RE = re.compile(r"[\s:：*＊/、._\-]+")


def _fold_header(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = _BRACKETS_RE.sub("", s)
    return _NOISE_RE.sub("", s)


def field_for(kind: str, header: str, group: str = "") -> str | None:
    """The field a header names for a register of ``kind`` (None: not one we read).

    Examples
    --------
    >>> field_for("households", "楼 号"), field_for("households", "人数（人）")
    ('building', 'size')
    >>> field_for("households", "", group="户主")
    'head'
    """
    names = FIELDS[kind]
    for text in (header, group):
        # 室/门牌: either name will do
        for part in (text, *_ALTERNATIVES_RE.split(str(text or ""))):
            h = _fold_header(part)
            for fld, aliases in names.items():
                if h and h in aliases:
                    return fld
    return None


def map_columns(kind: str, headers: list[str], groups: list[str],
                given: dict[str, str] | None = None) -> dict[str, int]:
    """Column index of each field: from ``given`` (field → header as written) first,
    then by the recognised names; the first column of a field wins."""
    if kind not in FIELDS:
        raise InvalidRegisterError(f"unknown register kind {kind!r}: one of {', '.join(KINDS)}")
    out: dict[str, int] = {}
    folded = [_fold_header(h) for h in headers]
    for fld, header in (given or {}).items():
        if fld not in FIELDS[kind]:
            raise InvalidRegisterError(f"a {kind} register has no field {fld!r}: one of "
                                       f"{', '.join(FIELDS[kind])}")
        want = _fold_header(header)
        if want not in folded:
            raise InvalidRegisterError(f"no column headed {header!r} for {fld}",
                                       details={"headers": headers})
        out[fld] = folded.index(want)
    for i, (h, g) in enumerate(zip(headers, groups, strict=True)):
        fld = field_for(kind, h, g)
        if fld is not None and fld not in out and i not in out.values():
            out[fld] = i
    return out


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ``.0``, full-width folded, trimmed.

    Examples
    --------
    >>> cell_text(13900001234.0), cell_text(" ３栋 "), cell_text(None)
    ('13900001234', '3栋', '')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


_COUNT_RE = re.compile(r"^(\d{1,4})(?:人|口|位)?$")


def parse_count(text: str) -> int | None:
    """A head count as written (3, ３, 3人); None when it is not one."""
    m = _COUNT_RE.match(text.replace(" ", ""))
    return int(m.group(1)) if m else None
