// The overlays: one vector-tile source per layer of /tiles (or GeoJSON in a standalone
// export), drawn by kind, stage and type. Stage and kind colours are shared with the legend.
export const KIND_COLOURS = {residential: '#4e79a7', business: '#f28e2b', special: '#59a14f'};
export const STAGE_COLOURS = {
  accepted: '#e15759', registered: '#ff9da7', dispatched: '#f28e2b', in_progress: '#edc948',
  checked: '#76b7b2', closed: '#59a14f', suspended: '#9c755f', returned: '#b07aa1',
  referred: '#4e79a7', duplicate: '#bab0ac',
};
export const RESOURCE_COLOURS = {
  venue: '#1f77b4', merchant: '#ff7f0e', volunteer_team: '#2ca02c', party_unit: '#d62728',
  service_center: '#9467bd',
};
export const DENSITY_STEPS = [[0, '#fff5eb'], [20, '#fdd0a2'], [60, '#fd8d3c'], [150, '#d94801'], [300, '#7f2704']];
export const OVERDUE = '#ff0000';

/** The toggles of the layer control: id, style layers, shown at start. */
export const TOGGLES = [
  {id: 'grids', layers: ['grids-fill', 'grids-line', 'grids-business', 'grids-selected'], on: true},
  {id: 'households', layers: ['households-fill'], on: true},
  {id: 'shops', layers: ['shops-dot'], on: false},
  {id: 'requests', layers: ['requests-dot'], on: true},
  {id: 'heat', layers: ['requests-heat'], on: false},
  {id: 'resources', layers: ['resources-dot'], on: true},
  {id: 'defects', layers: ['defects-fill', 'defects-line'], on: false},
];
export const TILE_LAYERS = ['grids', 'households', 'shops', 'requests', 'resources'];

function match(property, colours, fallback) {
  return ['match', ['get', property], ...Object.entries(colours).flat(), fallback];
}

export function tileUrl(epoch, crs, layer) {
  return new URL(`/tiles/${epoch}/${crs}/${layer}/{z}/{x}/{y}.mvt`, window.location.href).href
    .replace('%7Bz%7D', '{z}').replace('%7Bx%7D', '{x}').replace('%7By%7D', '{y}');
}

/** Add the overlay sources and style layers. ``data`` is null (tiles) or, in a
 * standalone export, GeoJSON per layer. */
export function addOverlays(map, {epoch, crs, data}) {
  for (const layer of TILE_LAYERS) {
    if (data) {
      map.addSource(layer, {type: 'geojson', data: data[layer], promoteId: 'id'});
    } else {
      map.addSource(layer, {type: 'vector', tiles: [tileUrl(epoch, crs, layer)], minzoom: 0, maxzoom: 16});
    }
  }
  map.addSource('defects', {type: 'geojson', data: {type: 'FeatureCollection', features: []}});
  const src = (layer) => (data ? {source: layer} : {source: layer, 'source-layer': layer});
  const add = (spec) => map.addLayer(spec);
  add({id: 'households-fill', type: 'fill', ...src('households'),
       paint: {'fill-color': ['interpolate', ['linear'], ['get', 'per_ha'], ...DENSITY_STEPS.flat()],
               'fill-opacity': 0.55}});
  add({id: 'grids-fill', type: 'fill', ...src('grids'),
       paint: {'fill-color': match('kind', KIND_COLOURS, '#888'),
               'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.35, 0.1]}});
  add({id: 'grids-line', type: 'line', ...src('grids'), filter: ['!=', ['get', 'kind'], 'business'],
       paint: {'line-color': match('kind', KIND_COLOURS, '#888'), 'line-width': 1.2}});
  add({id: 'grids-business', type: 'line', ...src('grids'), filter: ['==', ['get', 'kind'], 'business'],
       paint: {'line-color': KIND_COLOURS.business, 'line-width': 2.5, 'line-dasharray': [3, 2]}});
  add({id: 'grids-selected', type: 'line', ...src('grids'), filter: ['==', ['get', 'code'], ''],
       paint: {'line-color': '#d62728', 'line-width': 3.5}});
  add({id: 'defects-fill', type: 'fill', source: 'defects', paint: {'fill-color': '#ff0000', 'fill-opacity': 0.35}});
  add({id: 'defects-line', type: 'line', source: 'defects', paint: {'line-color': '#b00', 'line-width': 2}});
  add({id: 'shops-dot', type: 'circle', ...src('shops'), minzoom: 12,
       paint: {'circle-radius': 3, 'circle-color': '#8c564b', 'circle-stroke-color': '#fff', 'circle-stroke-width': 0.5}});
  add({id: 'resources-dot', type: 'circle', ...src('resources'),
       paint: {'circle-radius': 6, 'circle-color': match('kind', RESOURCE_COLOURS, '#444'),
               'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5}});
  add({id: 'requests-heat', type: 'heatmap', ...src('requests'),
       paint: {'heatmap-weight': ['interpolate', ['linear'], ['coalesce', ['get', 'n'], 1], 0, 0, 30, 1],
               'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 10, 12, 16, 30], 'heatmap-opacity': 0.75}});
  add({id: 'requests-dot', type: 'circle', ...src('requests'),
       paint: {'circle-radius': ['interpolate', ['linear'], ['coalesce', ['get', 'n'], 1], 1, 5, 10, 9, 100, 16, 1000, 24],
               'circle-color': match('stage', STAGE_COLOURS, '#999'), 'circle-opacity': 0.9,
               'circle-stroke-color': ['case', ['>', ['coalesce', ['get', 'overdue'], 0], 0], OVERDUE, '#ffffff'],
               'circle-stroke-width': ['case', ['>', ['coalesce', ['get', 'overdue'], 0], 0], 3, 1]}});
  for (const toggle of TOGGLES) setToggle(map, toggle.id, toggle.on);
}

export function setToggle(map, id, on) {
  const toggle = TOGGLES.find((t) => t.id === id);
  for (const layer of toggle.layers) {
    if (map.getLayer(layer)) map.setLayoutProperty(layer, 'visibility', on ? 'visible' : 'none');
  }
}

/** Draw the overlays for a basemap datum (wgs84 / gcj02): the server shifts the tiles. */
export function setOverlayCrs(map, epoch, crs) {
  for (const layer of TILE_LAYERS) {
    const source = map.getSource(layer);
    if (source && source.setTiles) source.setTiles([tileUrl(epoch, crs, layer)]);
  }
}
