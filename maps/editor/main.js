// The planner's editor: loads the plan's units from the API and wires the map, tools, panel,
// undo stack, save, redraw, diff, activation and exports together (one module each).
/* global L */
import {activate} from './activate.js';
import * as actions from './actions.js';
import {showDiff} from './diff.js';
import {exportGrids, printMap} from './export.js';
import {initialLanguage, setLanguage, t} from './i18n.js';
import {bindKeys} from './keys.js';
import {MapLayers} from './layer.js';
import {Panel} from './panel.js';
import {proposeRedraw} from './redraw.js';
import {isDirty, save} from './save.js';
import {EditorState} from './state.js';
import {renderTeam} from './team.js';
import {Tools} from './tools.js';
import {History} from './undo.js';
import {api, dialog, el, status, toast} from './ui.js';

const data = document.body.dataset;
const ctx = {
  planId: Number(data.plan), readonly: data.status !== 'draft', active: -1, unitMode: 'block',
  exports: (data.exports || '').split(',').filter(Boolean), timings: [], frameTimings: [], stray: new Map(),
};

async function fetchDocument() {
  const r = await api('GET', `/v1/plans/${ctx.planId}/units`);
  if (!r.ok) throw new Error(r.data ? r.data.message : `HTTP ${r.status}`);
  return r.data;
}

function buildMap() {
  const map = L.map('ed-map', {zoomSnap: 0.5, maxZoom: 19, boxZoom: false, doubleClickZoom: false});
  for (const layer of JSON.parse(data.tiles || '[]')) {
    L.tileLayer(layer.url, {attribution: layer.attribution, subdomains: layer.subdomains.length ? layer.subdomains : 'abc',
                            maxNativeZoom: layer.maxNativeZoom, maxZoom: 19}).addTo(map);
  }
  L.control.scale({imperial: false}).addTo(map);
  // Canvas, chosen by measurement (bench/editor_bench.py); ?renderer=svg for comparison.
  const svg = new URLSearchParams(window.location.search).get('renderer') === 'svg';
  ctx.renderer = svg ? L.svg({padding: 0.5}) : L.canvas({padding: 0.5, tolerance: 5});
  return map;
}

function install(doc) {
  const activeId = ctx.state && ctx.active >= 0 ? ctx.state.gridKey(ctx.active) : null;
  if (ctx.layers) for (const layer of ['units', 'edgeGroup', 'streets', 'overlays', 'labels']) ctx.layers[layer].remove();
  ctx.state = new EditorState(doc);
  restoreLocks();
  if (ctx.history) { ctx.history.state = ctx.state; ctx.history.clear(); } else ctx.history = new History(ctx.state);
  ctx.layers = new MapLayers(ctx.map, ctx.state, ctx.renderer);
  ctx.tools.bindStreets();
  ctx.active = activeId !== null && ctx.state.gridIndex.has(activeId) ? ctx.state.gridIndex.get(activeId) : -1;
  ctx.centers = null;
  ctx.stray = new Map();
  ctx.panel = new Panel(ctx);
  ctx.layers.setActive(ctx.active);
  ctx.state.on((event) => {
    ctx.layers.refresh(event.units, event.grids);
    syncStray(event.grids);
    ctx.panel.update(event.grids, event.teams);
    syncButtons();
  });
  syncStray(new Set(ctx.state.grids.map((g, i) => i)));
  document.getElementById('ed-version').textContent = t('version', {v: ctx.state.plan.version});
  document.body.dataset.version = String(ctx.state.plan.version);
  syncButtons();
}

// Units in the smaller pieces of a grid in several pieces are outlined on the map.
function syncStray(grids) {
  for (const g of grids) {
    if (g < 0) continue;
    const pieces = ctx.state.pieces(g);
    if (pieces.length > 1) ctx.stray.set(g, pieces.slice(1).flat()); else ctx.stray.delete(g);
  }
  ctx.layers.setStray([...ctx.stray.values()].flat());
}

function restoreLocks() {
  let ids = [];
  try { ids = JSON.parse(localStorage.getItem(`gisgrid.locks.${ctx.planId}`) || '[]'); } catch (err) { ids = []; }
  for (const id of ids) if (ctx.state.gridIndex.has(id)) ctx.state.grids[ctx.state.gridIndex.get(id)].locked = true;
}

Object.assign(ctx, {
  async reload() {
    const view = {center: ctx.map.getCenter(), zoom: ctx.map.getZoom()};
    install(await fetchDocument());
    ctx.map.setView(view.center, view.zoom, {animate: false});
    ctx.layers.syncAllLabels();
  },
  setActive(g) {
    const before = ctx.active;
    ctx.active = g;
    ctx.layers.setActive(g);
    if (before < 0 || g < 0 || ctx.state.grids[before].community !== ctx.state.grids[g].community) {
      ctx.panel.applyFilter();
    }
    ctx.panel.update(new Set([before, g]));
    ctx.panel.renderActive();
  },
  stepActive(step) {
    const rows = [...document.querySelectorAll('#ed-grid-table tbody tr:not([hidden])')].map((r) => Number(r.dataset.grid));
    if (!rows.length) return;
    const at = rows.indexOf(ctx.active);
    const next = rows[(at + step + rows.length) % rows.length];
    ctx.setActive(next);
    ctx.layers.fitGrid(next);
  },
  timing(ms) {
    ctx.timings.push(ms);
    if (ctx.timings.length > 10000) ctx.timings.shift();
    document.body.dataset.lastStrokeMs = ms.toFixed(2);
  },
  framed(ms) {
    ctx.frameTimings.push(ms);
    if (ctx.frameTimings.length > 10000) ctx.frameTimings.shift();
  },
  unitsIn(bounds) {
    if (!ctx.centers) ctx.centers = ctx.layers.layers.map((layer) => layer.getBounds().getCenter());
    const out = [];
    ctx.centers.forEach((c, u) => { if (bounds.contains(c)) out.push(u); });
    return out;
  },
  select(units) {
    ctx.layers.setSelected(units);
    status(units.length ? t('selection', {n: units.length}) : '');
  },
  toggleLock(g) {
    const grid = ctx.state.grids[g];
    grid.locked = !grid.locked;
    const ids = ctx.state.grids.filter((x) => x.locked && x.id !== null).map((x) => x.id);
    try { localStorage.setItem(`gisgrid.locks.${ctx.planId}`, JSON.stringify(ids)); } catch (err) { /* not kept */ }
    ctx.layers.restyle([...ctx.state.members[g]]);
    ctx.panel.update(new Set([g]));
    ctx.panel.renderActive();
  },
  toggleUnitMode() {
    ctx.unitMode = ctx.unitMode === 'block' ? 'building' : 'block';
    syncButtons();
  },
  showPieces(g) {
    const stray = ctx.stray.get(g) || [];
    const bounds = L.latLngBounds([]);
    for (const u of stray) bounds.extend(ctx.layers.layers[u].getBounds());
    if (bounds.isValid()) ctx.map.fitBounds(bounds.pad(0.5), {maxZoom: 17, animate: false});
  },
  newGrid: (community, name, label) => actions.newGrid(ctx, community, name, label),
  gridFromSelection: () => actions.gridFromSelection(ctx),
  merge: (other) => actions.merge(ctx, other),
  split: (street) => actions.split(ctx, street),
  renderTeam: (box, g) => renderTeam(ctx, box, g),
  save: () => save(ctx),
  onModeChange: () => syncButtons(),
});

const BUTTONS = [
  ['mode', 'click'], ['mode', 'brush'], ['mode', 'box'], ['mode', 'select'], ['mode', 'merge'], ['mode', 'split'],
  ['unit-mode', 'unitBlock'], ['action', 'newGrid'], ['action', 'undo'], ['action', 'redo'], ['action', 'save'],
  ['action', 'redraw'], ['action', 'diff'], ['action', 'activate'], ['action', 'exportGeojson'],
  ['action', 'exportGpkg'], ['action', 'exportPng'], ['action', 'help'],
];

function toolbar() {
  const run = {
    newGrid: () => ctx.gridFromSelection(), undo: () => ctx.history.undo(), redo: () => ctx.history.redo(),
    save: () => ctx.save(), redraw: () => proposeRedraw(ctx), diff: () => showDiff(ctx), activate: () => activate(ctx),
    exportGeojson: () => exportGrids(ctx, 'geojson'), exportGpkg: () => exportGrids(ctx, 'gpkg'),
    exportPng: () => printMap(ctx, printCommunity()),
    help: () => dialog(t('help'), el('p', {}, t('keys')), [{label: t('close'), action: 'close', run: (c) => c()}]),
  };
  const bar = document.getElementById('ed-toolbar');
  bar.replaceChildren(...BUTTONS.map(([kind, key]) => {
    const b = el('button', {type: 'button', id: `ed-${kind}-${key}`, dataset: {kind, key, i18n: key}}, t(key));
    b.addEventListener('click', () => {
      if (kind === 'mode') ctx.tools.setMode(key);
      else if (kind === 'unit-mode') ctx.toggleUnitMode();
      else run[key]();
    });
    return b;
  }));
}

function printCommunity() {
  const chosen = ctx.panel.community();
  if (chosen) return chosen;
  return ctx.active >= 0 ? ctx.state.grids[ctx.active].community : ctx.state.doc.communities[0].code;
}

function syncButtons() {
  if (!ctx.tools) return;
  document.querySelectorAll('#ed-toolbar button[data-kind="mode"]').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.dataset.key === ctx.tools.mode));
  });
  const unit = document.getElementById('ed-unit-mode-unitBlock');
  if (unit) { unit.dataset.i18n = ctx.unitMode === 'block' ? 'unitBlock' : 'unitBuilding'; unit.textContent = t(unit.dataset.i18n); }
  const h = ctx.history;
  const set = (id, on) => { const b = document.getElementById(id); if (b) b.disabled = !on; };
  set('ed-action-undo', h && h.done.length > 0);
  set('ed-action-redo', h && h.undone.length > 0);
  const dirty = ctx.state && isDirty(ctx.state);
  set('ed-action-save', dirty);
  document.body.dataset.dirty = dirty ? '1' : '0';
  if (dirty) status(t('unsaved'));
}

async function boot() {
  const started = performance.now();
  setLanguage(initialLanguage());
  const lang = document.getElementById('ed-lang');
  lang.value = initialLanguage();
  lang.addEventListener('change', () => { setLanguage(lang.value); if (ctx.panel) ctx.panel.build(); syncButtons(); });
  status(t('loading'));
  toolbar();
  ctx.map = buildMap();
  ctx.tools = new Tools(ctx);
  try {
    install(await fetchDocument());
  } catch (err) {
    toast(String(err.message || err), 'error');
    return;
  }
  ctx.map.fitBounds(ctx.layers.units.getBounds(), {animate: false});
  ctx.history.on(() => syncButtons());
  bindKeys(ctx);
  status('');
  ctx.loadMs = performance.now() - started;
  window.gisgridEditor = ctx;
  document.body.dataset.ready = '1';
}

boot();
