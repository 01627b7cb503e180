"""Map pages for staff browsers: folium pages that load every asset from gisgrid itself."""
