// The staff map: MapLibre GL over gisgrid's vector tiles (or, in a standalone export, the
// same layers as GeoJSON). Wires the modules: layers, control, legend, labels, popups,
// search, basemaps (Amap in GCJ-02), language, and ?grid= / ?community= / ?lang= / ?basemap=.
import {applyI18n, currentLang, initLang, setLang, t} from './i18n.js';
import {displayBbox, setDisplayCrs, toDisplay, wgs84ToGcj02} from './crs.js';
import {addOverlays, setOverlayCrs} from './layers.js';
import {buildBasemapSelect, buildLayerControl} from './control.js';
import {buildLegend} from './legend.js';
import {Labels} from './labels.js';
import {gridContent, installPopups} from './popup.js';
import {installSearch} from './search.js';

const body = document.body;
const standalone = body.dataset.mode === 'standalone';
const bundle = standalone ? JSON.parse(document.getElementById('sm-data').textContent) : null;
const index = standalone ? bundle.index : JSON.parse(body.dataset.index);
const basemaps = JSON.parse(body.dataset.basemaps);
const params = new URLSearchParams(window.location.search);
initLang(params.get('lang'));

const app = {
  index, basemaps, standalone, wgs84ToGcj02,
  gridsByCode: new Map(index.grids.map((g) => [g.code, g])),
  basemap: (basemaps.find((b) => b.id === params.get('basemap')) || basemaps[0]),
};
window.staffmap = app;

function extent(boxes) {
  return boxes.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])],
                      [180, 90, -180, -90]);
}

function rasterSource(b) {
  return {type: 'raster', tiles: b.tiles, tileSize: 256, maxzoom: b.maxzoom, attribution: b.attribution};
}

// Created once the page has loaded (stylesheets applied, the container at its size): a map
// made earlier, while the layout was still settling, never drew its first frame.
if (document.readyState !== 'complete') await new Promise((done) => window.addEventListener('load', done, {once: true}));
if (!standalone && maplibregl.setWorkerUrl) maplibregl.setWorkerUrl(new URL(body.dataset.worker, window.location.href).href);
setDisplayCrs(app.basemap.crs);
const all = index.grids.length ? extent(index.grids.map((g) => g.bbox)) : [73, 18, 135, 53];
const map = new maplibregl.Map({
  container: 'sm-map',
  style: {version: 8, sources: {basemap: rasterSource(app.basemap)},
          layers: [{id: 'background', type: 'background', paint: {'background-color': '#f4f1ea'}},
                   {id: 'basemap', type: 'raster', source: 'basemap'}]},
  bounds: displayBbox(all), fitBoundsOptions: {padding: 20}, maxZoom: 20, fadeDuration: 0,
  attributionControl: {compact: true}, dragRotate: false, pitchWithRotate: false,
});
map.touchZoomRotate.disableRotation();
// Basemap tiles fail offline (an intranet): say nothing; any other error is reported.
app.tileErrors = 0;
map.on('error', (ev) => {
  const url = ev.error && ev.error.url;
  const outside = url && new URL(url, window.location.href).origin !== window.location.origin;
  if (ev.sourceId === 'basemap' || outside) { app.tileErrors += 1; return; }
  console.error(ev.error || ev);
});
map.addControl(new maplibregl.NavigationControl({showCompass: false}), 'top-right');
map.addControl(new maplibregl.ScaleControl(), 'bottom-left');
app.map = map;

app.setBasemap = (id) => {
  const next = basemaps.find((b) => b.id === id) || basemaps[0];
  const crsChanged = next.crs !== app.basemap.crs;
  app.basemap = next;
  map.removeLayer('basemap');
  map.removeSource('basemap');
  map.addSource('basemap', rasterSource(next));
  map.addLayer({id: 'basemap', type: 'raster', source: 'basemap'}, 'households-fill');
  if (crsChanged) {
    const centre = map.getCenter();
    setDisplayCrs(next.crs);
    if (!standalone) setOverlayCrs(map, index.epoch, next.crs);
    else for (const layer of ['grids', 'households', 'shops', 'requests', 'resources']) {
      map.getSource(layer).setData(shiftGeoJSON(bundle.data[layer]));
    }
    app.labels.reposition();
    // Keep the same ground in view: the map's centre moves by the datum shift too.
    const back = next.crs === 'gcj02' ? wgs84ToGcj02([centre.lng, centre.lat])
      : [2 * centre.lng - wgs84ToGcj02([centre.lng, centre.lat])[0], 2 * centre.lat - wgs84ToGcj02([centre.lng, centre.lat])[1]];
    map.jumpTo({center: back});
    if (app.defects) loadDefects(true);
  }
  body.dataset.basemap = next.id;
  body.dataset.crs = next.crs;
};

function shiftCoords(coords) {
  return typeof coords[0] === 'number' ? toDisplay(coords) : coords.map(shiftCoords);
}

function shiftGeoJSON(fc) {
  return {type: 'FeatureCollection', features: fc.features.map((f) => ({...f, geometry: f.geometry && {
    ...f.geometry, coordinates: shiftCoords(f.geometry.coordinates)}}))};
}

async function loadDefects(force) {
  if (app.defects && !force) return;
  const plans = [...new Set(index.grids.map((g) => g.plan_id))];
  const features = [];
  for (const plan of plans) {
    try {
      const r = await fetch(`/v1/plans/${plan}/coverage`, {credentials: 'same-origin'});
      if (!r.ok) continue;
      const doc = await r.json();
      for (const d of doc.defects || []) {
        if (d.geometry) features.push({type: 'Feature', geometry: d.geometry, properties: {kind: d.kind}});
      }
    } catch { /* offline export or no route */ }
  }
  app.defects = {type: 'FeatureCollection', features};
  map.getSource('defects').setData(shiftGeoJSON(app.defects));
  body.dataset.defectCount = String(features.length);
  if (!features.length) document.getElementById('sm-found').textContent = t('defects_none');
}

app.openGrid = (grid, lngLat) => {
  app.popup.setLngLat(lngLat || toDisplay(grid.label)).setDOMContent(gridContent(grid, {standalone})).addTo(map);
};

app.selectGrid = (grid, point) => {
  map.setFilter('grids-selected', ['==', ['get', 'code'], grid.code]);
  map.fitBounds(displayBbox(grid.bbox), {padding: 60, maxZoom: 17, animate: false});
  app.labels.setSelected(grid.code);
  app.openGrid(grid, point ? toDisplay(point) : null);
  body.dataset.selectedGrid = grid.code;
  const url = new URL(window.location.href);
  url.searchParams.set('grid', grid.code);
  url.searchParams.delete('community');
  if (!standalone) window.history.replaceState(null, '', url);
};

app.selectCommunity = (community) => {
  map.fitBounds(displayBbox(community.bbox), {padding: 30, animate: false});
  body.dataset.selectedCommunity = community.code;
};

function relabel() {
  applyI18n(document);
  buildLegend(document.getElementById('sm-legend'), index.request_stages || {});
  buildBasemapSelect(document.getElementById('sm-basemap'), basemaps, app.basemap.id, currentLang(), app.setBasemap);
  if (app.labels) app.labels.retext();
}

function start() {
  if (app.started) return;
  app.started = true;
  addOverlays(map, {epoch: index.epoch, crs: app.basemap.crs,
                    data: standalone ? Object.fromEntries(Object.entries(bundle.data).map(([k, v]) => [k, shiftGeoJSON(v)])) : null});
  app.labels = new Labels(map, index.grids);
  installPopups(app);
  installSearch(app);
  buildLayerControl(document.getElementById('sm-layers'), map, {onToggle: (id, on) => {
    if (id === 'labels') app.labels.setEnabled(on);
    if (id === 'defects' && on) loadDefects(false);
  }});
  const lang = document.getElementById('sm-lang');
  lang.value = currentLang();
  lang.addEventListener('change', () => { setLang(lang.value); relabel(); });
  setLang(currentLang());
  relabel();
  body.dataset.basemap = app.basemap.id;
  body.dataset.crs = app.basemap.crs;
  body.dataset.gridTotal = String(index.grids.length);
  const focus = (standalone && bundle.focus) || {};
  const wanted = params.get('grid') || focus.grid;
  const community = params.get('community') || focus.community;
  if (wanted && app.gridsByCode.get(wanted)) app.selectGrid(app.gridsByCode.get(wanted));
  else if (community) {
    const c = (index.communities || []).find((x) => x.code === community);
    if (c) app.selectCommunity(c);
  }
  // Ready (for people: nothing; for tests and benchmarks: data-ready) once every tile is in.
  const settle = () => {
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
      app.labels.layout();
      body.dataset.ready = '1';
    } else setTimeout(settle, 50);
  };
  settle();
}
map.on('load', start);
// Under load a map's first frame sometimes never comes (the style and its tiles are in,
// but nothing asked for a render, so 'load' never fires and the overlays never come):
// ask for frames until 'load', and start from the loaded style if it still does not fire.
let nudges = 0;
const nudge = () => {
  if (app.started) return;
  nudges += 1;
  if (nudges > 10 && map.isStyleLoaded()) { start(); return; }
  map.resize();
  map.triggerRepaint();
  setTimeout(nudge, 300);
};
setTimeout(nudge, 300);
