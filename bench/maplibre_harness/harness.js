// Side measurement for bench/editor_bench.py --maplibre: the editor's units and grid edges drawn with
// MapLibre GL, a stroke as feature-state changes (as Districtr paints), timed to the map's next 'idle'.
// Not part of the editor (Leaflet canvas was chosen on these figures: bench/README.md).
const PALETTE = ['#8dd3c7','#ffffb3','#bebada','#fb8072','#80b1d3','#fdb462','#b3de69','#fccde5','#bc80bd','#ccebc5','#ffed6f','#a6cee3','#fdbf6f','#cab2d6'];
window.bench = {strokes: [], ready: false};
(async () => {
  const t0 = performance.now();
  const doc = await (await fetch('units.json')).json();
  const feats = doc.units.features.map((f, i) => ({type: 'Feature', id: i, geometry: f.geometry, properties: {}}));
  const assign = doc.units.features.map((f) => f.properties.grid);
  const edges = doc.pairs.map((p, k) => ({type: 'Feature', id: k, properties: {},
      geometry: {type: 'MultiLineString', coordinates: p[4]}}));
  const map = new maplibregl.Map({container: 'map', style: {version: 8, sources: {}, layers: [{id: 'bg', type: 'background', paint: {'background-color': '#eee'}}]},
                                  center: [109.6, 38.15], zoom: 11, fadeDuration: 0});
  window.bench.map = map;
  await new Promise((r) => map.on('load', r));
  map.addSource('units', {type: 'geojson', data: {type: 'FeatureCollection', features: feats}});
  map.addSource('edges', {type: 'geojson', data: {type: 'FeatureCollection', features: edges}});
  map.addLayer({id: 'fill', type: 'fill', source: 'units', paint: {'fill-color': ['coalesce', ['feature-state', 'color'], '#ccc'], 'fill-opacity': 0.5}});
  map.addLayer({id: 'outline', type: 'line', source: 'units', paint: {'line-color': '#fff', 'line-width': 0.6}});
  map.addLayer({id: 'edges', type: 'line', source: 'edges', paint: {'line-color': '#111', 'line-width': 2.2, 'line-opacity': ['case', ['boolean', ['feature-state', 'differ'], false], 0.9, 0]}});
  const colour = (g) => PALETTE[(g * 5) % PALETTE.length];
  feats.forEach((f, i) => map.setFeatureState({source: 'units', id: i}, {color: colour(assign[i])}));
  doc.pairs.forEach((p, k) => map.setFeatureState({source: 'edges', id: k}, {differ: assign[p[0]] !== assign[p[1]]}));
  const b = doc.units.features.reduce((acc, f) => { const c = f.geometry.coordinates[0][0]; return [Math.min(acc[0], c[0]), Math.min(acc[1], c[1]), Math.max(acc[2], c[0]), Math.max(acc[3], c[1])]; }, [180, 90, -180, -90]);
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {animate: false});
  await new Promise((r) => map.once('idle', r));
  window.bench.loadMs = performance.now() - t0;
  const adj = Array.from({length: feats.length}, () => []);
  doc.pairs.forEach((p, k) => { adj[p[0]].push(k); adj[p[1]].push(k); });
  window.bench.paint = (u, g, centre) => new Promise((done) => {
    map.jumpTo({center: centre, zoom: 16});
    map.once('idle', () => {
      const s = performance.now();
      assign[u] = g;
      map.setFeatureState({source: 'units', id: u}, {color: colour(g)});
      for (const k of adj[u]) map.setFeatureState({source: 'edges', id: k}, {differ: assign[doc.pairs[k][0]] !== assign[doc.pairs[k][1]]});
      map.once('idle', () => { window.bench.strokes.push(performance.now() - s); done(); });
    });
  });
  window.bench.targets = (n) => { const out = []; for (let k = 0; k < doc.pairs.length && out.length < n; k += 7) { const [i, j, m] = doc.pairs[k]; if (assign[i] !== assign[j] && m > 50) { const c = doc.units.features[i].geometry.coordinates[0][0]; out.push([i, assign[j], c]); } } return out; };
  window.bench.ready = true;
})();
