"""Resources: what can help a grid (venues, merchants, volunteer teams, party units, centres)."""

from gisgrid.resources.records import (
    RESOURCE_KINDS,
    ImportSummary,
    import_resources,
    particulars_from_details,
    read_resource_file,
    resource_feature,
)

__all__ = ["RESOURCE_KINDS", "ImportSummary", "import_resources", "particulars_from_details",
           "read_resource_file", "resource_feature"]
