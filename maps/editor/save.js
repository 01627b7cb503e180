// Save: one versioned `reassign` edit carrying, for every grid touched, all the units it now holds
// (the server rebuilds boundaries from them), new grids and changed teams. A stale version gets
// the other planner's changes shown and can be reloaded with this planner's changes reapplied.
import {language, t} from './i18n.js';
import {sameTeam} from './state.js';
import {api, dialog, el, status, toast} from './ui.js';

export function saveBody(state) {
  const touched = new Set();
  for (let u = 0; u < state.n; u++) {
    if (state.assign[u] !== state.original[u]) {
      if (state.original[u] >= 0) touched.add(state.original[u]);
      if (state.assign[u] >= 0) touched.add(state.assign[u]);
    }
  }
  const assignment = [];
  const communities = new Set();
  for (const g of [...touched].sort((a, b) => a - b)) {
    const grid = state.grids[g];
    if (grid.id === null && !state.tot.units[g]) continue;
    const entry = {grid: state.gridKey(g), units: [...state.members[g]].map((u) => state.ids[u])};
    if (grid.id === null) entry.name = grid.name;
    assignment.push(entry);
    communities.add(grid.community);
  }
  const teams = [];
  state.grids.forEach((grid, g) => {
    if (!state.visible(g) || sameTeam(grid.team, state.loadedTeams[g])) return;
    teams.push({grid: state.gridKey(g), leader: grid.team.leader ? grid.team.leader.id : null,
                full_time: grid.team.full_time ? grid.team.full_time.id : null,
                part_time: grid.team.part_time.map((p) => p.id)});
  });
  const digests = {};
  for (const c of state.doc.communities) if (communities.has(c.code)) digests[c.code] = c.digest;
  return {op: 'reassign', version: state.plan.version, assignment, digests, teams};
}

export function isDirty(state) {
  const body = saveBody(state);
  return body.assignment.length > 0 || body.teams.length > 0;
}

// This planner's changes, by unit id and grid key, to put back on a reloaded plan.
export function pendingChanges(state) {
  const units = [];
  for (let u = 0; u < state.n; u++) {
    if (state.assign[u] !== state.original[u] && state.assign[u] >= 0) {
      const g = state.assign[u];
      units.push({unit: state.ids[u], to: state.gridKey(g), name: state.grids[g].name,
                  community: state.grids[g].community});
    }
  }
  const teams = [];
  state.grids.forEach((grid, g) => {
    if (state.visible(g) && !sameTeam(grid.team, state.loadedTeams[g])) teams.push({to: state.gridKey(g), team: grid.team});
  });
  return {units, teams};
}

export function reapply(ctx, pending) {
  const s = ctx.state;
  const created = new Map();
  const target = (change) => {
    if (typeof change.to === 'number') return s.gridIndex.has(change.to) ? s.gridIndex.get(change.to) : -1;
    if (!created.has(change.to)) created.set(change.to, ctx.newGrid(change.community, change.name, change.to));
    return created.get(change.to);
  };
  let done = 0;
  let skipped = 0;
  const units = [];
  const grids = new Set();
  ctx.history.begin('reapply');
  for (const change of pending.units) {
    const u = s.unitIndex.get(change.unit);
    const g = target(change);
    if (u === undefined || g < 0 || s.refusal(u, g)) { skipped += 1; continue; }
    const moved = s.move(u, g);
    if (moved) { ctx.history.record(moved); units.push(u); grids.add(moved[1]); grids.add(g); done += 1; }
  }
  for (const change of pending.teams) {
    const g = target(change);
    if (g < 0) { skipped += 1; continue; }
    ctx.history.recordTeam(g, s.grids[g].team, change.team);
    s.grids[g].team = change.team;
    grids.add(g);
    done += 1;
  }
  ctx.history.end();
  s.emit(units, grids, {teams: pending.teams.length > 0});
  toast(t('reapplied', {n: done, v: s.plan.version}) + (skipped ? ' · ' + t('reapplySkipped', {n: skipped}) : ''),
        skipped ? 'warn' : 'info');
  return {done, skipped};
}

export async function save(ctx) {
  const s = ctx.state;
  const body = saveBody(s);
  if (!body.assignment.length && !body.teams.length) { toast(t('nothingToSave')); return null; }
  status(t('saving'));
  const r = await api('POST', `/v1/plans/${s.plan.id}/edits`, body);
  if (r.ok) {
    await ctx.reload();
    status(t('saved', {v: r.data.version}));
    toast(t('saved', {v: r.data.version}) + (r.data.notes.length ? ' · ' + r.data.notes.join('；') : ''));
    return r.data;
  }
  const code = r.data && r.data.code;
  if (r.status === 409 && code === 'stale_version') await showStale(ctx, body.version);
  else if (r.status === 409 && code === 'units_changed') toast(t('unitsChanged'), 'error');
  else toast(t('saveFailed', {msg: r.data ? r.data.message : r.status}), 'error');
  status(t('unsaved'));
  return null;
}

async function showStale(ctx, mine) {
  const s = ctx.state;
  const r = await api('GET', `/v1/plans/${s.plan.id}/changes?since=${mine}`);
  const changes = r.ok ? r.data.changes : [];
  const now = r.ok ? r.data.version : '?';
  const items = changes.map((c) => el('li', {}, t('change', {
    action: t(c.action), v: c.version === null ? '?' : c.version,
    at: new Date(c.at).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en'),
    actor: c.actor ? `，${c.actor}` : '', grids: c.grids.length ? c.grids.join('、') : '—'})));
  dialog(t('staleTitle'), [el('p', {id: 'ed-stale'}, t('staleBody', {mine, now})), el('ul', {id: 'ed-stale-changes'}, items)], [
    {label: t('reloadReapply'), primary: true, action: 'reapply', run: async (close) => {
      const pending = pendingChanges(ctx.state);
      close();
      await ctx.reload();
      reapply(ctx, pending);
    }},
    {label: t('cancel'), action: 'cancel', run: (close) => close()},
  ]);
}
