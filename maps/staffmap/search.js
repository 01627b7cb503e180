// Search: a grid code (whole, or its last digits), a grid name, else an address through
// the address lookup (/v1/lookup/address). The result is selected: outlined, fitted, its
// popup opened, and said in the status line.
import {t} from './i18n.js';

export function findGrids(index, q) {
  const text = q.trim();
  if (!text) return [];
  const grids = index.grids;
  const exact = grids.filter((g) => g.code === text || g.name === text);
  if (exact.length) return exact;
  if (/^\d+$/.test(text)) return grids.filter((g) => g.code.endsWith(text));
  return grids.filter((g) => g.name.includes(text));
}

export function installSearch(app) {
  const form = document.getElementById('sm-search');
  const input = document.getElementById('sm-q');
  const status = document.getElementById('sm-found');
  const say = (message, code) => {
    status.textContent = message;
    if (code) status.dataset.gridCode = code; else delete status.dataset.gridCode;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const grids = findGrids(app.index, q);
    if (grids.length) {
      app.selectGrid(grids[0]);
      say(t('found_grid', grids[0]), grids[0].code);
      return;
    }
    if (app.standalone) { say(t('found_none', q)); return; }
    try {
      const r = await fetch(`/v1/lookup/address?q=${encodeURIComponent(q)}`, {credentials: 'same-origin'});
      if (!r.ok) { say(t('found_none', q)); return; }
      const doc = await r.json();
      const grid = doc.grid && app.gridsByCode.get(doc.grid.code);
      if (!grid) { say(t('found_outside', doc.match.address)); return; }
      app.selectGrid(grid, doc.match.location.coordinates);
      say(t('found_address', doc.match.address, grid), grid.code);
    } catch (err) {
      say(t('found_none', q));
    }
  });
}
