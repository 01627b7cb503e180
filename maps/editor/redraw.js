// Redraw: the server proposes the redraw that moves the fewest households for the grids out of
// their bounds (POST /v1/plans/{id}/redraw, dry_run); the proposal is drawn over the map and
// accepted (the same call, written: a new version) or rejected (nothing written).
/* global L */
import {t} from './i18n.js';
import {isDirty} from './save.js';
import {api, dialog, el, status, toast} from './ui.js';

export async function proposeRedraw(ctx) {
  const s = ctx.state;
  if (isDirty(s)) { toast(t('saveFirst'), 'warn'); return null; }
  status(t('redraw') + '…');
  const r = await api('POST', `/v1/plans/${s.plan.id}/redraw`, {version: s.plan.version, dry_run: true});
  status('');
  if (!r.ok) { toast(t('saveFailed', {msg: r.data ? r.data.message : r.status}), 'error'); return null; }
  const proposal = r.data;
  const shapes = L.geoJSON({type: 'FeatureCollection', features: proposal.proposal.grids.map((g) => (
    {type: 'Feature', properties: {label: g.label}, geometry: g.geometry}))},
  {renderer: ctx.layers.renderer, interactive: false,
   style: () => ({color: '#7c3aed', weight: 3, dashArray: '6 4', fillColor: '#a78bfa', fillOpacity: 0.25})});
  shapes.addTo(ctx.map);
  const close = () => shapes.remove();
  const breaches = proposal.out_of_bounds.map((b) => `${b.code.slice(-3)} ${b.name}: ${b.households}`);
  const rows = proposal.proposal.grids.map((g) => el('tr', {},
    el('td', {}, g.code ? g.code.slice(-3) + ' ' + g.name : g.label),
    el('td', {}, String(g.households_before)), el('td', {}, '→'), el('td', {}, String(g.households))));
  const changed = proposal.proposal.grids.length > 0 || proposal.proposal.removed.length > 0;
  const body = [
    el('p', {id: 'ed-redraw-moves'}, changed
      ? t('redrawMoves', {n: proposal.moved.households, s: proposal.moved.shops, b: proposal.moved.blocks})
      : t('redrawNone')),
    breaches.length ? el('p', {}, t('outOfBounds', {list: breaches.join('；')})) : null,
    el('table', {class: 'ed-table'}, el('tbody', {}, rows)),
    proposal.notes.length ? el('ul', {}, proposal.notes.map((n) => el('li', {}, n))) : null,
  ];
  const buttons = [{label: t('reject'), action: 'reject', run: (done) => { close(); done(); }}];
  if (changed) {
    buttons.unshift({label: t('accept'), primary: true, action: 'accept', run: async (done) => {
      const w = await api('POST', `/v1/plans/${s.plan.id}/redraw`, {version: s.plan.version, dry_run: false});
      close();
      done();
      if (!w.ok) { toast(t('saveFailed', {msg: w.data ? w.data.message : w.status}), 'error'); return; }
      await ctx.reload();
      toast(t('redrawDone', {v: w.data.version}));
    }});
  }
  dialog(t('redrawTitle'), body, buttons);
  return proposal;
}
