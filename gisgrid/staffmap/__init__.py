"""The staff map: vector tiles of grids, household density, shops, requests and resources,
versioned by the map epoch; the page's index of grids and communities."""

from gisgrid.staffmap.tiles import TILE_CRS, TileCache, map_index, render_tile, tile_shift

__all__ = ["TILE_CRS", "TileCache", "map_index", "render_tile", "tile_shift"]
