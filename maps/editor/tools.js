// Painting tools on the map: click, brush, box, select; plus pick (right-click), merge and split modes.
/* global L */
import {t} from './i18n.js';
import {toast} from './ui.js';

export const MODES = ['click', 'brush', 'box', 'select', 'merge', 'split'];

// Give `units` to grid g as part of the current stroke; returns the units that changed.
// Totals are updated synchronously (state.emit), so the panel shows them before this returns.
export function paint(ctx, units, g) {
  const started = performance.now();
  const s = ctx.state;
  const changed = [];
  const grids = new Set();
  let refused = null;
  for (const u of units) {
    const why = s.refusal(u, g);
    if (why) { refused = refused || why; continue; }
    const change = s.move(u, g);
    if (change) {
      ctx.history.record(change);
      changed.push(u);
      grids.add(change[1]);
      grids.add(g);
    }
  }
  if (changed.length) s.emit(changed, grids);
  if (refused && !changed.length) {
    const blocked = refused === 'lockedRefused' && s.assign[units[0]] >= 0 && s.grids[s.assign[units[0]]].locked
      ? s.assign[units[0]] : g;
    toast(t(refused, {grid: blocked >= 0 ? s.gridLabel(blocked) : ''}), 'warn');
  }
  if (changed.length) {
    ctx.timing(performance.now() - started);
    // Two frames later the map has been repainted: the time a planner waits to see the stroke.
    requestAnimationFrame(() => requestAnimationFrame(() => ctx.framed(performance.now() - started)));
  }
  return changed;
}

// The units a pointer at unit u stands for: its block, or just its building's parcel.
export function reach(ctx, u) {
  if (u < 0) return [];
  return ctx.unitMode === 'block' ? ctx.state.blockUnits.get(ctx.state.block[u]) : [u];
}

export class Tools {
  constructor(ctx) {
    this.ctx = ctx;
    this.mode = 'click';
    this.dragging = false;
    this.box = null;
    this.start = null;
    const map = ctx.map;
    map.on('mousedown', (e) => this.down(e));
    map.on('mousemove', (e) => this.moveTo(e));
    map.on('mouseup', (e) => this.up(e));
    map.on('click', (e) => this.click(e));
    map.on('contextmenu', (e) => this.pick(e));
  }

  // The streets layer is rebuilt with the map's layers (reload): listen to the new one.
  bindStreets() {
    this.ctx.layers.streets.on('click', (e) => this.street(e));
    this.styleStreets();
  }

  styleStreets() {
    const split = this.mode === 'split';
    this.ctx.layers.streets.eachLayer((layer) => {
      layer.options.interactive = split;
      layer.setStyle({weight: split ? 6 : (layer.feature.properties.kind === 'road' ? 2 : 1),
                      color: split ? '#2563eb' : '#52525b'});
    });
  }

  setMode(mode) {
    this.mode = mode;
    const map = this.ctx.map;
    const drags = mode === 'click' || mode === 'merge' || mode === 'split';
    if (drags) map.dragging.enable(); else map.dragging.disable();
    this.styleStreets();
    document.getElementById('ed-map').dataset.mode = mode;
    const g = this.ctx.active;
    if (mode === 'merge') toast(t('mergePick', {grid: g >= 0 ? this.ctx.state.gridLabel(g) : '?'}));
    if (mode === 'split') toast(t('splitPick', {grid: g >= 0 ? this.ctx.state.gridLabel(g) : '?'}));
    this.ctx.onModeChange(mode);
  }

  unitAt(e) { return this.ctx.layers.unitAt(e.latlng); }

  down(e) {
    if (e.originalEvent.button !== 0) return;
    this.swallowClick = false;
    if (this.mode === 'brush') {
      this.dragging = true;
      this.ctx.history.begin('brush');
      paint(this.ctx, reach(this.ctx, this.unitAt(e)), this.ctx.active);
    } else if (this.mode === 'box' || this.mode === 'select') {
      this.start = e.latlng;
      this.dragging = true;
    }
  }

  moveTo(e) {
    if (!this.dragging) return;
    if (this.mode === 'brush') {
      paint(this.ctx, reach(this.ctx, this.unitAt(e)), this.ctx.active);
    } else if (this.start) {
      const bounds = L.latLngBounds(this.start, e.latlng);
      if (!this.box) this.box = L.rectangle(bounds, {color: '#2563eb', weight: 1, dashArray: '4 3', fillOpacity: 0.08,
                                                      interactive: false}).addTo(this.ctx.map);
      else this.box.setBounds(bounds);
    }
  }

  up(e) {
    if (!this.dragging) return;
    this.dragging = false;
    if (this.mode === 'brush') { this.ctx.history.end(); return; }
    const box = this.box;
    this.box = null;
    this.start = null;
    if (!box) return;   // no drag: a click, handled by click()
    const bounds = box.getBounds();
    box.remove();
    this.swallowClick = true;
    const inside = this.ctx.unitsIn(bounds);
    if (this.mode === 'box') {
      this.ctx.history.begin('box');
      paint(this.ctx, inside, this.ctx.active);
      this.ctx.history.end();
    } else {
      this.ctx.select([...this.ctx.layers.selected, ...inside]);
    }
  }

  click(e) {
    if (this.swallowClick) { this.swallowClick = false; return; }
    const u = this.unitAt(e);
    if (u < 0) return;
    const ctx = this.ctx;
    if (this.mode === 'click' || this.mode === 'box') {
      ctx.history.begin('click');
      paint(ctx, reach(ctx, u), ctx.active);
      ctx.history.end();
    } else if (this.mode === 'select') {
      const chosen = new Set(ctx.layers.selected);
      const units = reach(ctx, u);
      const all = units.every((x) => chosen.has(x));
      for (const x of units) { if (all) chosen.delete(x); else chosen.add(x); }
      ctx.select([...chosen]);
    } else if (this.mode === 'merge') {
      ctx.merge(ctx.state.assign[u]);
      this.setMode('click');
    }
  }

  pick(e) {
    const u = this.unitAt(e);
    if (u >= 0 && this.ctx.state.assign[u] >= 0) this.ctx.setActive(this.ctx.state.assign[u]);
  }

  street(e) {
    if (this.mode !== 'split') return;
    L.DomEvent.stop(e);
    this.ctx.split(e.layer.feature.properties.name);
    this.setMode('click');
  }
}
