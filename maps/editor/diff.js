// Diff before activation: the saved draft against its parent plan, as a table (households,
// shops, open requests, team places that change grid: GET /v1/plans/{id}/diff) and on the map
// (units whose grid is not the one they had in the parent plan are outlined).
/* global L */
import {t} from './i18n.js';
import {api, el, toast} from './ui.js';

export async function showDiff(ctx) {
  const s = ctx.state;
  if (s.plan.parent_id === null) { toast(t('noParent')); return null; }
  const r = await api('GET', `/v1/plans/${s.plan.id}/diff`);
  if (!r.ok) { toast(t('saveFailed', {msg: r.data ? r.data.message : r.status}), 'error'); return null; }
  ctx.layers.setDiff(true);
  const name = (code, label) => (code ? `${code.slice(-3)} ${label || ''}` : t('outside'));
  const table = (key, title) => {
    const part = r.data[key];
    const head = el('tr', {}, el('th', {}, t('from')), el('th', {}, t('to')),
                    key === 'staff' ? el('th', {}, t('role')) : null, el('th', {}, t('count')));
    const rows = part.moves.map((m) => el('tr', {},
      el('td', {}, name(m.from_code, m.from_name)), el('td', {}, name(m.to_code, m.to_name)),
      key === 'staff' ? el('td', {}, t(m.role)) : null, el('td', {class: 'n'}, String(m.n))));
    return el('section', {class: 'ed-diff-part', dataset: {part: key}},
      el('h3', {}, `${title}: ${part.moved}`),
      part.moves.length ? el('table', {class: 'ed-table'}, el('thead', {}, head), el('tbody', {}, rows))
        : el('p', {}, t('none')));
  };
  // Beside the map, not over it: the outlined units and the table are read together.
  const close = el('button', {type: 'button', id: 'ed-diff-close'}, t('close'));
  const box = el('section', {id: 'ed-diff'}, el('h2', {}, t('diffTitle'), ' ', close),
                 table('households', t('households')), table('shops', t('shops')),
                 table('requests', t('requests')), table('staff', t('team')));
  close.addEventListener('click', () => { ctx.layers.setDiff(false); box.remove(); });
  const old = document.getElementById('ed-diff');
  if (old) old.remove();
  document.getElementById('ed-side').prepend(box);
  const changed = L.latLngBounds([]);   // a new box: a layer's own bounds must not be extended
  for (let u = 0; u < s.n; u++) if (s.assign[u] !== s.parent[u]) changed.extend(ctx.layers.layers[u].getBounds());
  if (changed.isValid()) ctx.map.fitBounds(changed.pad(0.3), {maxZoom: 17, animate: false});
  return r.data;
}
