"""Addresses: parsing Chinese addresses, the address registry, and address lookups."""

from gisgrid.address.lookup import lookup_address, lookup_addresses
from gisgrid.address.parse import ParsedAddress, normalise_address, parse_address
from gisgrid.address.registry import rebuild_address_registry

__all__ = ["ParsedAddress", "lookup_address", "lookup_addresses", "normalise_address", "parse_address",
           "rebuild_address_registry"]
