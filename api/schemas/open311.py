"""Open311 GeoReport v2 bodies, with the spec's field names (lists are JSON arrays, as in the spec)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, RootModel


class Service(BaseModel):
    """A service: one request category."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="false: no extra attributes")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceList(RootModel[list[Service]]):
    """GET services: every service."""


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict] = Field(description="Always empty: no service has extra attributes")


class ServiceRequest(BaseModel):
    """A service request as GeoReport v2 lists it (no reporter, ever)."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None = Field(description="The grid (code) and its community")
    service_notice: str | None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None = Field(description="The deadline (working days of the category)")
    address: str | None = Field(description="Only for the staff of the request's community")
    address_id: str | None
    zipcode: str | None
    lat: float
    long: float
    media_url: str | None


class ServiceRequestList(RootModel[list[ServiceRequest]]):
    """GET requests: the matching service requests."""


class PostedRequest(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class PostedRequestList(RootModel[list[PostedRequest]]):
    """POST requests: the new request's id (a list of one)."""
