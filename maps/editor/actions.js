// Grid actions made of unit moves, each one undoable step: new grid from a selection, merge
// another grid into the active one, split a grid along a street, lock.
import {t} from './i18n.js';
import {paint} from './tools.js';
import {dialog, el, toast} from './ui.js';

// A new (unsaved) grid of a community; `label` is new-1, new-2... unless given.
export function newGrid(ctx, community, name, label) {
  const s = ctx.state;
  let k = 1;
  while (s.grids.some((g) => g.label === `new-${k}`)) k += 1;
  const given = label || `new-${k}`;
  return s.addGrid({id: null, uid: null, code: null, seq: null, name, kind: 'residential', community,
                    label: given, team: {leader: null, full_time: null, part_time: []}});
}

export function gridFromSelection(ctx) {
  const s = ctx.state;
  const units = [...ctx.layers.selected];
  if (!units.length) { toast(t('emptySelection'), 'warn'); return; }
  const communities = new Set(units.map((u) => s.community[u]));
  if (communities.size !== 1) { toast(t('selectionCommunities'), 'warn'); return; }
  const community = [...communities][0];
  const cname = (s.doc.communities.find((c) => c.code === community) || {name: ''}).name;
  const input = el('input', {id: 'ed-new-name', type: 'text', maxlength: '100', value: `${cname}新网格`});
  dialog(t('newGrid'), el('label', {}, t('newGridName'), input), [
    {label: t('ok'), primary: true, action: 'ok', run: (close) => {
      const name = input.value.trim();
      if (!name) { input.focus(); return; }
      close();
      const g = newGrid(ctx, community, name);
      ctx.history.begin('new grid');
      const changed = paint(ctx, units, g);
      ctx.history.end();
      ctx.select([]);
      if (changed.length) { ctx.setActive(g); toast(t('newGridDone', {grid: s.gridLabel(g)})); }
    }},
    {label: t('cancel'), action: 'cancel', run: (close) => close()},
  ]);
  input.focus();
}

export function merge(ctx, other) {
  const s = ctx.state;
  const g = ctx.active;
  if (g < 0 || other < 0 || other === g) return;
  ctx.history.begin('merge');
  const changed = paint(ctx, [...s.members[other]], g);
  ctx.history.end();
  if (changed.length) toast(t('mergeDone', {from: s.gridLabel(other), to: s.gridLabel(g)}));
}

// Split along a named street: the grid's units fall into pieces once the edges along that
// street are cut; the largest piece keeps the grid, each other piece becomes a new grid.
export function split(ctx, street) {
  const s = ctx.state;
  const target = splitTarget(s, street, ctx.active);
  if (target < 0) { toast(t('splitNone', {street, grid: ctx.active >= 0 ? s.gridLabel(ctx.active) : '?'}), 'warn'); return; }
  const pieces = piecesWithout(s, target, street);
  if (pieces.length < 2) { toast(t('splitNone', {street, grid: s.gridLabel(target)}), 'warn'); return; }
  ctx.history.begin('split');
  for (const piece of pieces.slice(1)) {
    const g = newGrid(ctx, s.grids[target].community, `${s.grids[target].name}（分）`);
    paint(ctx, piece, g);
  }
  ctx.history.end();
  toast(t('splitDone', {grid: s.gridLabel(target), street, n: pieces.length}));
}

function splitTarget(s, street, active) {
  const along = new Map();
  s.pairs.forEach((p) => {
    const g = s.assign[p[0]];
    if (p[3] === street && g >= 0 && g === s.assign[p[1]]) along.set(g, (along.get(g) || 0) + p[2]);
  });
  if (along.has(active)) return active;
  let best = -1;
  for (const [g, m] of along) if (best < 0 || m > along.get(best)) best = g;
  return best;
}

function piecesWithout(s, g, street) {
  const seen = new Set();
  const out = [];
  for (const start of s.members[g]) {
    if (seen.has(start)) continue;
    seen.add(start);
    const piece = [];
    const todo = [start];
    while (todo.length) {
      const u = todo.pop();
      piece.push(u);
      for (const k of s.adj[u]) {
        const p = s.pairs[k];
        const v = p[0] === u ? p[1] : p[0];
        if (p[3] !== street && !seen.has(v) && s.assign[v] === g) { seen.add(v); todo.push(v); }
      }
    }
    out.push(piece);
  }
  return out.sort((a, b) => b.length - a.length);
}
