"""gisgrid: plan, check and serve community service grids on PostGIS."""
