// Grid labels with collision handling: each grid's name, number and households at a point
// inside it; after every move the labels are placed in order (the selected grid first, then
// by households), and one that would overlap a placed label or leave the view is hidden.
// What does not fit shows on zoom, or when the pointer is over its grid.
import {t} from './i18n.js';
import {toDisplay} from './crs.js';

const PAD = 2;
const COMPACT_BELOW = 14.5;

export class Labels {
  constructor(map, grids) {
    this.map = map;
    this.enabled = true;
    this.selected = null;
    this.hover = null;
    this.entries = grids.map((g) => {
      const el = document.createElement('div');
      el.className = 'sm-label';
      el.dataset.code = g.code;
      const name = document.createElement('b');
      const info = document.createElement('span');
      el.append(name, info);
      const marker = new maplibregl.Marker({element: el, anchor: 'center'}).setLngLat(toDisplay(g.label)).addTo(map);
      return {grid: g, el, name, info, marker, w: 0, h: 0};
    });
    this.retext();
    const layout = () => this.layout();
    map.on('moveend', layout);
    map.on('resize', layout);
  }

  retext() {
    for (const e of this.entries) {
      e.name.textContent = e.grid.name;
      e.info.textContent = `${e.grid.code.slice(-3)} · ${e.grid.households} ${t('households')}`;
      e.w = 0;
    }
    this.layout();
  }

  reposition() {
    for (const e of this.entries) e.marker.setLngLat(toDisplay(e.grid.label));
    this.layout();
  }

  setEnabled(on) { this.enabled = on; this.layout(); }
  setSelected(code) { this.selected = code; this.layout(); }
  setHover(code) {
    if (this.hover === code) return;
    this.hover = code;
    for (const e of this.entries) e.el.classList.toggle('sm-label-hover', this.enabled && e.grid.code === code);
  }

  layout() {
    const container = this.map.getContainer();
    // Zoomed out, a label is the grid's number and households only (the name on hover).
    const compact = this.map.getZoom() < COMPACT_BELOW;
    if (compact !== this.compact) {
      this.compact = compact;
      container.classList.toggle('sm-compact', compact);
      for (const e of this.entries) e.w = 0;
    }
    const {width, height} = container.getBoundingClientRect();
    const order = [...this.entries].sort((a, b) => (b.grid.code === this.selected) - (a.grid.code === this.selected)
      || b.grid.households - a.grid.households || (a.grid.code < b.grid.code ? -1 : 1));
    const placed = [];
    let shown = 0;
    for (const e of order) {
      if (!e.w) { e.w = e.el.offsetWidth; e.h = e.el.offsetHeight; }
      const p = this.map.project(e.marker.getLngLat());
      const box = [p.x - e.w / 2 - PAD, p.y - e.h / 2 - PAD, p.x + e.w / 2 + PAD, p.y + e.h / 2 + PAD];
      const inView = box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height;
      const free = inView && !placed.some((q) => box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3]);
      const show = this.enabled && free;
      e.el.classList.toggle('sm-label-hidden', !show);
      if (show) { placed.push(box); shown += 1; }
    }
    document.body.dataset.labelsShown = String(shown);
    document.body.dataset.labelsInView = String(order.filter((e) => {
      const p = this.map.project(e.marker.getLngLat());
      return p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height;
    }).length);
  }
}
