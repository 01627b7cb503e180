// The totals panel: every grid's households (against the bounds), residents, shops, open requests,
// team, pieces and compactness; what has changed grid so far. Rows are updated per stroke.
import {t} from './i18n.js';
import {gridColour} from './layer.js';
import {el} from './ui.js';

export class Panel {
  constructor(ctx) {
    this.ctx = ctx;
    this.rows = new Map();
    this.filter = {community: 'auto', text: ''};
    this.build();
  }

  build() {
    const s = this.ctx.state;
    const section = document.getElementById('ed-grids');
    // One community's grids by default (the active grid's): a district's thousands of rows
    // would make every stroke wait for the browser to lay the whole list out again.
    const communities = el('select', {id: 'ed-community', 'aria-label': t('community')},
      el('option', {value: 'auto'}, t('activeCommunity')), el('option', {value: ''}, t('allCommunities')),
      s.doc.communities.map((c) => el('option', {value: c.code}, c.name)));
    communities.addEventListener('change', () => { this.filter.community = communities.value; this.applyFilter(); });
    const search = el('input', {id: 'ed-search', type: 'search', placeholder: t('search')});
    search.addEventListener('input', () => { this.filter.text = search.value.trim(); this.applyFilter(); });
    const head = el('tr', {}, ['code', 'households', 'residents', 'shops', 'requests', 'team', 'pieces', 'compactness']
      .map((k) => el('th', {}, k === 'code' ? t('grids') : t(k))));
    this.body = el('tbody');
    this.rows = new Map();
    section.replaceChildren(el('div', {class: 'ed-filter'}, communities, search),
                            el('table', {id: 'ed-grid-table'}, el('thead', {}, head), this.body));
    for (let g = 0; g < s.grids.length; g++) if (s.visible(g)) this.row(g);
    this.renderSummary();
    this.renderActive();
  }

  row(g) {
    let tr = this.rows.get(g);
    if (!tr) {
      const s = this.ctx.state;
      tr = el('tr', {dataset: {grid: String(g), code: s.grids[g].code || s.grids[g].label,
                               community: s.grids[g].community}});
      tr.addEventListener('click', () => this.ctx.setActive(g));
      this.rows.set(g, tr);
      this.body.append(tr);
      this.applyFilterTo(g, tr);
    }
    this.fill(g, tr);
    return tr;
  }

  fill(g, tr) {
    const s = this.ctx.state;
    const pieces = s.pieces(g).length;
    const missing = s.teamMissing(g);
    const compact = s.compactness(g);
    const band = s.band(g);
    tr.className = [g === this.ctx.active ? 'active' : '', s.grids[g].locked ? 'locked' : '',
                    s.tot.units[g] ? '' : 'empty'].join(' ');
    tr.replaceChildren(
      el('td', {class: 'name'}, el('i', {class: 'swatch', dataset: {colour: gridColour(g)}}),
         s.grids[g].locked ? '🔒 ' : '', s.gridLabel(g)),
      el('td', {class: `hh band-${band}`, title: t(band)}, s.tot.hh[g]),
      el('td', {class: 'res'}, s.tot.res[g]),
      el('td', {class: 'shops'}, s.tot.shops[g]),
      el('td', {class: 'req'}, s.tot.req[g]),
      el('td', {class: missing.length ? 'team missing' : 'team ok'},
         missing.length ? t('teamMissing', {roles: missing.map((r) => t(r)).join('、')}) : '✓'),
      el('td', {class: pieces > 1 ? 'pieces split' : 'pieces'}, pieces),
      el('td', {class: 'compact'}, compact === null ? '—' : compact.toFixed(2)));
    tr.querySelector('.swatch').style.background = gridColour(g);
  }

  // The community whose grids are listed ('' for all): the chosen one, or the active grid's.
  community() {
    const s = this.ctx.state;
    if (this.filter.community !== 'auto') return this.filter.community;
    if (this.filter.text) return '';
    return this.ctx.active >= 0 ? s.grids[this.ctx.active].community : (s.doc.communities[0] || {}).code || '';
  }

  applyFilterTo(g, tr, community) {
    const s = this.ctx.state;
    const grid = s.grids[g];
    const text = this.filter.text;
    const within = community === undefined ? this.community() : community;
    const show = (!within || grid.community === within)
      && (!text || (grid.code || grid.label || '').includes(text) || grid.name.includes(text))
      && s.visible(g);
    if (tr.hidden === show) tr.hidden = !show;
  }

  applyFilter() {
    const community = this.community();
    for (const [g, tr] of this.rows) this.applyFilterTo(g, tr, community);
  }

  // After a change: rows of the touched grids, the summary, the active grid's card (its team
  // editor only when a team changed: rebuilding its staff lists on every stroke would cost).
  update(grids, teams) {
    for (const g of grids) {
      if (g < 0) continue;
      const tr = this.row(g);
      this.applyFilterTo(g, tr);
    }
    this.renderSummary();
    if (grids.has(this.ctx.active)) {
      if (teams) this.renderActive(); else this.fillFigures();
    }
  }

  renderSummary() {
    const m = this.ctx.state.moved;
    const line = (counts) => [t('movedHouseholds', {n: counts.hh}), t('movedShops', {n: counts.shops}),
                              t('movedRequests', {n: counts.req})].join(' · ');
    document.getElementById('ed-summary').replaceChildren(
      el('h2', {}, t('changed')), el('p', {id: 'ed-moved-session'}, line(m.original)),
      el('h2', {}, t('vsParent')), el('p', {id: 'ed-moved-parent'}, line(m.parent)));
  }

  renderActive() {
    const ctx = this.ctx;
    const s = ctx.state;
    const g = ctx.active;
    const box = document.getElementById('ed-active');
    if (g < 0) { box.replaceChildren(el('p', {class: 'hint'}, t('noActive'))); return; }
    const lock = el('button', {type: 'button', id: 'ed-lock'}, s.grids[g].locked ? t('unlock') : t('lock'));
    lock.addEventListener('click', () => ctx.toggleLock(g));
    const zoom = el('button', {type: 'button', id: 'ed-zoom'}, t('zoomTo'));
    zoom.addEventListener('click', () => ctx.layers.fitGrid(g));
    box.replaceChildren(el('h2', {}, el('i', {class: 'swatch'}), s.gridLabel(g), ' ', lock, zoom),
                        el('dl', {class: 'ed-figures', id: 'ed-figures'}), el('div', {id: 'ed-team'}));
    box.querySelector('.swatch').style.background = gridColour(g);
    this.fillFigures();
    ctx.renderTeam(document.getElementById('ed-team'), g);
  }

  fillFigures() {
    const ctx = this.ctx;
    const s = ctx.state;
    const g = ctx.active;
    const dl = document.getElementById('ed-figures');
    if (g < 0 || !dl) return;
    const pieces = s.pieces(g);
    const band = s.band(g);
    const compact = s.compactness(g);
    const stray = pieces.length > 1
      ? el('button', {type: 'button', class: 'warn', id: 'ed-show-pieces'}, t('split_pieces', {n: pieces.length}))
      : null;
    if (stray) stray.addEventListener('click', () => ctx.showPieces(g));
    dl.replaceChildren(
      el('dt', {}, t('households')),
      el('dd', {class: `band-${band}`, id: 'ed-active-hh'}, `${s.tot.hh[g]} (${s.bounds.min}–${s.bounds.max}, ${t(band)})`),
      el('dt', {}, t('residents')), el('dd', {}, s.tot.res[g]),
      el('dt', {}, t('shops')), el('dd', {}, s.tot.shops[g]),
      el('dt', {}, t('requests')), el('dd', {}, s.tot.req[g]),
      el('dt', {}, t('units')), el('dd', {}, s.tot.units[g]),
      el('dt', {}, t('compactness')), el('dd', {}, compact === null ? '—' : compact.toFixed(2)),
      el('dt', {}, t('pieces')), el('dd', {}, stray || String(pieces.length)));
  }
}
