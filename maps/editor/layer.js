// The map: units filled in their grid's colour (Leaflet canvas), grid edges where neighbours'
// grids differ, streets (clickable for a split), overlays, grid labels.
/* global L */

const PALETTE = ['#8dd3c7', '#ffffb3', '#bebada', '#fb8072', '#80b1d3', '#fdb462', '#b3de69',
                 '#fccde5', '#bc80bd', '#ccebc5', '#ffed6f', '#a6cee3', '#fdbf6f', '#cab2d6'];
const NO_GRID = '#d4d4d8';

export function gridColour(g) { return g < 0 ? NO_GRID : PALETTE[(g * 5) % PALETTE.length]; }

export class MapLayers {
  constructor(map, state, renderer) {
    this.map = map;
    this.state = state;
    this.active = -1;
    this.selected = new Set();
    this.stray = new Set();     // units in the smaller pieces of a grid in several pieces
    this.diff = false;          // outline units whose grid differs from the parent plan's
    this.layers = new Array(state.n);
    this.edges = new Map();     // pair index -> polyline, for pairs whose units' grids differ
    // One canvas for everything: a second canvas on top would swallow the pointer events.
    this.renderer = renderer;
    this.units = L.geoJSON(state.doc.units, {
      renderer, interactive: false,
      style: (f) => this.style(state.unitIndex.get(f.id)),
      onEachFeature: (f, layer) => { const u = state.unitIndex.get(f.id); this.layers[u] = layer; layer.unit = u; },
    }).addTo(map);
    this.edgeGroup = L.layerGroup().addTo(map);
    for (let k = 0; k < state.pairs.length; k++) this.syncEdge(k);
    this.streets = L.geoJSON(state.doc.streets, {
      renderer, interactive: false,
      style: (f) => ({color: '#52525b', weight: f.properties.kind === 'road' ? 2 : 1, opacity: 0.6,
                      dashArray: f.properties.kind === 'road' ? null : '3 3'}),
    }).addTo(map);
    this.overlays = L.geoJSON(state.doc.overlays, {
      renderer, interactive: false,
      style: () => ({color: '#9b1c1c', weight: 2, dashArray: '8 5', fill: false}),
    }).addTo(map);
    this.labels = L.layerGroup().addTo(map);
    this.labelOf = new Map();
    map.on('zoomend', () => this.syncAllLabels());
  }

  style(u) {
    const s = this.state;
    const g = s.assign[u];
    const style = {fillColor: gridColour(g), fillOpacity: g === this.active ? 0.75 : 0.5,
                   color: '#ffffff', weight: 0.6, opacity: 0.9, dashArray: null};
    if (g >= 0 && s.grids[g].locked) { style.fillOpacity = 0.25; }
    if (this.diff && s.assign[u] !== s.parent[u]) { style.color = '#ea580c'; style.weight = 2.5; }
    if (this.stray.has(u)) { style.color = '#dc2626'; style.weight = 2.5; style.dashArray = '5 4'; }
    if (this.selected.has(u)) { style.color = '#facc15'; style.weight = 3; }
    return style;
  }

  restyle(units) { for (const u of units) this.layers[u].setStyle(this.style(u)); }

  restyleAll() { for (let u = 0; u < this.state.n; u++) this.layers[u].setStyle(this.style(u)); }

  // After units changed grid: their styles, the edges around them, the labels of their grids.
  refresh(units, grids) {
    this.restyle(units);
    const done = new Set();
    for (const u of units) {
      for (const k of this.state.adj[u]) {
        if (!done.has(k)) { done.add(k); this.syncEdge(k); }
      }
    }
    for (const g of grids) this.syncLabel(g);
  }

  syncEdge(k) {
    const s = this.state;
    const p = s.pairs[k];
    const differ = s.assign[p[0]] !== s.assign[p[1]];
    const line = this.edges.get(k);
    if (differ && !line) {
      const latlngs = p[4].map((part) => part.map(([x, y]) => [y, x]));
      const edge = L.polyline(latlngs, {renderer: this.renderer, color: '#111827', weight: 2.2, opacity: 0.9,
                                        interactive: false});
      this.edges.set(k, edge);
      this.edgeGroup.addLayer(edge);
    } else if (!differ && line) {
      this.edgeGroup.removeLayer(line);
      this.edges.delete(k);
    }
  }

  setActive(g) {
    const before = this.active;
    this.active = g;
    const units = [];
    for (const x of [before, g]) if (x >= 0) units.push(...this.state.members[x]);
    this.restyle(units);
  }

  setSelected(units) {
    const before = [...this.selected];
    this.selected = new Set(units);
    this.restyle([...before, ...units]);
  }

  setStray(units) {
    const before = [...this.stray];
    this.stray = new Set(units);
    this.restyle([...before, ...units]);
  }

  setDiff(on) { this.diff = on; this.restyleAll(); }

  // A grid's label (last 3 digits of its code) on its largest unit, shown from zoom 15.
  syncLabel(g) {
    const s = this.state;
    const old = this.labelOf.get(g);
    if (old) { this.labels.removeLayer(old); this.labelOf.delete(g); }
    if (this.map.getZoom() < 15 || !s.members[g] || !s.members[g].size) return;
    let best = -1;
    for (const u of s.members[g]) if (best < 0 || s.area[u] > s.area[best]) best = u;
    const grid = s.grids[g];
    const text = grid.code ? grid.code.slice(-3) : grid.label;
    const marker = L.marker(this.layers[best].getCenter(), {
      interactive: false, keyboard: false,
      icon: L.divIcon({className: 'ed-label', html: labelNode(text), iconSize: null}),
    });
    this.labels.addLayer(marker);
    this.labelOf.set(g, marker);
  }

  syncAllLabels() {
    this.labels.clearLayers();
    this.labelOf.clear();
    if (this.map.getZoom() < 15) return;
    const view = this.map.getBounds().pad(0.2);
    const s = this.state;
    for (let g = 0; g < s.grids.length; g++) {
      const first = s.members[g] && s.members[g].values().next().value;
      if (first !== undefined && view.intersects(this.layers[first].getBounds())) this.syncLabel(g);
    }
  }

  unitAt(latlng) {
    // The unit whose polygon holds the point (Leaflet's own canvas hit test, on the drawn shapes).
    const point = this.map.latLngToLayerPoint(latlng);
    if (!this.unitList) this.unitList = this.units.getLayers();
    for (const layer of this.unitList) {
      if (layer._pxBounds && layer._pxBounds.contains(point) && layer._containsPoint(point)) return layer.unit;
    }
    return -1;
  }

  fitGrid(g) {
    const bounds = L.latLngBounds([]);
    for (const u of this.state.members[g]) bounds.extend(this.layers[u].getBounds());
    if (bounds.isValid()) this.map.fitBounds(bounds, {maxZoom: 17, animate: false});
  }
}

function labelNode(text) {
  const box = document.createElement('span');
  box.textContent = text;
  return box;
}
