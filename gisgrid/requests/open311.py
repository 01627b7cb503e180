"""Open311 GeoReport v2: requests and services with the spec's field names, as JSON or XML.

For hotline and city systems that already speak GeoReport v2 (https://wiki.open311.org/GeoReport_v2):
services are the request categories (``service_code`` = category code); a service
request is a request. ``status`` is ``open`` for the open stages and ``closed`` for the
others; ``status_notes`` says the stage in words (never a reporter's name); the
``agency_responsible`` is the grid and its community; ``expected_datetime`` the deadline.
``lat``/``long`` are the public position (``gisgrid.requests.answers.public_position``)
unless the caller may see the community's personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from gisgrid.requests.answers import public_position
from gisgrid.rules import OPEN_STAGES

__all__ = ["REQUEST_FIELDS", "SERVICE_FIELDS", "service_definition", "service_item", "service_request",
           "status_of", "to_xml"]

#: GeoReport v2 fields of a service (GET services).
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
#: GeoReport v2 fields of a service request (GET requests).
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                  "long", "media_url")

_STAGE_NOTES = {
    "accepted": "已受理 accepted", "registered": "已立案 registered", "dispatched": "已派遣 dispatched",
    "in_progress": "处置中 in progress", "checked": "已核查 checked", "closed": "已结案 closed",
    "suspended": "已挂起 suspended", "returned": "已退回，待重新派遣 returned",
    "referred": "已转办 referred", "duplicate": "重复诉求，已并案 duplicate",
}


def status_of(stage: str) -> str:
    """GeoReport's two statuses: ``open`` for the open stages, ``closed`` for the rest."""
    return "open" if stage in OPEN_STAGES else "closed"


def service_item(category: dict[str, Any]) -> dict[str, Any]:
    """One category as a GeoReport service."""
    return {"service_code": category["code"], "service_name": category["name"],
            "description": f"{category['name_en']}: handled within {category['limit_days']} working days",
            "metadata": False, "type": "realtime", "keywords": category["code"].replace("_", " "),
            "group": "诉求"}


def service_definition(category: dict[str, Any]) -> dict[str, Any]:
    """A service's definition: no extra attributes (``metadata`` is false for every service)."""
    return {"service_code": category["code"], "attributes": []}


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat(timespec="seconds")


def service_request(row: dict[str, Any], *, precise: bool = False) -> dict[str, Any]:
    """One stored request (``request_store`` row) as a GeoReport service request."""
    notes = _STAGE_NOTES[row["stage"]]
    if row["stage"] == "duplicate" and row["master_id"]:
        notes += f"; master {row['master_id']}"
    elif row["stage"] == "referred" and row["referred_to"]:
        notes += f": {row['referred_to']}"
    agency = " ".join(x for x in (row["grid_name"] and f"{row['grid_name']} ({row['grid_code']})",
                                  row["community_name"]) if x) or None
    lon, lat = (row["lon"], row["lat"]) if precise else public_position(row["lon"], row["lat"])
    return {"service_request_id": str(row["id"]), "status": status_of(row["stage"]), "status_notes": notes,
            "service_name": row.get("service_name") or row["category"], "service_code": row["category"],
            "description": row["description"], "agency_responsible": agency, "service_notice": None,
            "requested_datetime": _iso(row["reported_at"]), "updated_datetime": _iso(row["updated_at"]),
            "expected_datetime": _iso(row["due_at"]), "address": row["address"] if precise else None,
            "address_id": None, "zipcode": None, "lat": lat, "long": lon,
            "media_url": (row["photos"] or [None])[0]}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(root: str, item: str, items: list[dict[str, Any]]) -> bytes:
    """GeoReport's XML: ``<root><item><field>value</field>...</item>...</root>`` (lists of
    attributes as nested elements)."""
    top = ET.Element(root)
    for it in items:
        node = ET.SubElement(top, item)
        for key, value in it.items():
            child = ET.SubElement(node, key)
            if isinstance(value, list):
                for sub in value:
                    ET.SubElement(child, "attribute").text = _text(sub)
            else:
                child.text = _text(value)
    return (b'<?xml version="1.0" encoding="utf-8"?>'
            + ET.tostring(top, encoding="utf-8", xml_declaration=False))
