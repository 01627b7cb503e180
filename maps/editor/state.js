// The editor's model: which grid each unit belongs to, and every grid's figures kept up to date
// on every change (no geometry needed: totals are sums, perimeters subtract shared edges).

export class EditorState {
  constructor(doc) {
    this.doc = doc;
    this.plan = doc.plan;
    this.bounds = doc.bounds;
    const feats = doc.units.features;
    const n = feats.length;
    this.n = n;
    this.ids = new Array(n);
    this.community = new Array(n);
    this.block = new Array(n);
    this.building = new Array(n);
    this.hh = new Int32Array(n);
    this.res = new Int32Array(n);
    this.shops = new Int32Array(n);
    this.req = new Int32Array(n);
    this.area = new Float64Array(n);
    this.perim = new Float64Array(n);
    this.unitIndex = new Map();
    this.blockUnits = new Map();
    this.grids = [];
    this.gridIndex = new Map();
    for (const g of doc.grids) {
      if (g.kind === 'residential') this.addGrid({...g, team: cloneTeam(g.team), label: null});
    }
    this.assign = new Int32Array(n).fill(-1);
    this.parent = new Int32Array(n).fill(-1);
    feats.forEach((f, i) => {
      const p = f.properties;
      this.ids[i] = p.id;
      this.community[i] = p.community;
      this.block[i] = p.block;
      this.building[i] = p.building;
      this.hh[i] = p.households;
      this.res[i] = p.residents;
      this.shops[i] = p.shops;
      this.req[i] = p.requests;
      this.area[i] = p.area_m2;
      this.perim[i] = p.perimeter_m;
      this.unitIndex.set(p.id, i);
      if (!this.blockUnits.has(p.block)) this.blockUnits.set(p.block, []);
      this.blockUnits.get(p.block).push(i);
      this.assign[i] = p.grid === null || !this.gridIndex.has(p.grid) ? -1 : this.gridIndex.get(p.grid);
      this.parent[i] = p.parent_grid === null || !this.gridIndex.has(p.parent_grid) ? -1 : this.gridIndex.get(p.parent_grid);
    });
    this.original = Int32Array.from(this.assign);
    this.loadedTeams = this.grids.map((g) => cloneTeam(g.team));
    this.pairs = doc.pairs;
    this.adj = Array.from({length: n}, () => []);
    this.pairs.forEach((p, k) => { this.adj[p[0]].push(k); this.adj[p[1]].push(k); });
    this.moved = {original: zeroCounts(), parent: zeroCounts()};
    this.listeners = [];
    this.recount();
  }

  addGrid(g) {
    const gi = this.grids.length;
    this.grids.push({...g, locked: false});
    if (this.loadedTeams) this.loadedTeams.push(cloneTeam(g.team));
    if (g.id !== null && g.id !== undefined) this.gridIndex.set(g.id, gi);
    if (this.tot) this.growTotals();
    return gi;
  }

  growTotals() {
    for (const key of Object.keys(this.tot)) while (this.tot[key].length < this.grids.length) this.tot[key].push(0);
    while (this.members.length < this.grids.length) this.members.push(new Set());
  }

  // Figures of every grid from scratch (at load; every change after is incremental).
  recount() {
    this.tot = {hh: [], res: [], shops: [], req: [], area: [], perim: [], units: []};
    this.members = [];
    this.growTotals();
    for (let u = 0; u < this.n; u++) {
      const g = this.assign[u];
      if (g >= 0) this.addTo(u, g);
      this.countMoved(u, this.assign[u], +1);
    }
  }

  addTo(u, g) {
    const t = this.tot;
    t.hh[g] += this.hh[u]; t.res[g] += this.res[u]; t.shops[g] += this.shops[u]; t.req[g] += this.req[u];
    t.area[g] += this.area[u]; t.perim[g] += this.perim[u]; t.units[g] += 1;
    for (const k of this.adj[u]) {
      const p = this.pairs[k];
      const v = p[0] === u ? p[1] : p[0];
      if (this.assign[v] === g && this.members[g].has(v)) t.perim[g] -= 2 * p[2];
    }
    this.members[g].add(u);
  }

  takeFrom(u, g) {
    const t = this.tot;
    this.members[g].delete(u);
    t.hh[g] -= this.hh[u]; t.res[g] -= this.res[u]; t.shops[g] -= this.shops[u]; t.req[g] -= this.req[u];
    t.area[g] -= this.area[u]; t.perim[g] -= this.perim[u]; t.units[g] -= 1;
    for (const k of this.adj[u]) {
      const p = this.pairs[k];
      const v = p[0] === u ? p[1] : p[0];
      if (this.members[g].has(v)) t.perim[g] += 2 * p[2];
    }
  }

  // What changes grid, against the loaded draft and against the parent plan.
  countMoved(u, g, sign) {
    for (const [key, base] of [['original', this.original], ['parent', this.parent]]) {
      if (base[u] !== g) {
        const m = this.moved[key];
        m.units += sign; m.hh += sign * this.hh[u]; m.shops += sign * this.shops[u]; m.req += sign * this.req[u];
      }
    }
  }

  // Why unit u may not go to grid g (an i18n key), or null when it may.
  refusal(u, g) {
    const from = this.assign[u];
    if (g < 0) return 'pickGridFirst';
    if (from < 0) return 'noUnitGrid';
    if (this.grids[from].locked || this.grids[g].locked) return 'lockedRefused';
    if (this.community[u] !== this.grids[g].community) return 'otherCommunity';
    return null;
  }

  // Give unit u to grid g; returns [u, from, g] or null when nothing changed.
  move(u, g) {
    const from = this.assign[u];
    if (from === g) return null;
    this.countMoved(u, from, -1);
    if (from >= 0) this.takeFrom(u, from);
    this.assign[u] = g;
    if (g >= 0) this.addTo(u, g);
    this.countMoved(u, g, +1);
    return [u, from, g];
  }

  on(fn) { this.listeners.push(fn); }

  // Tell every listener what changed: units (restyle) and grids (figures).
  emit(units, grids, extra) {
    const event = {units, grids, ...(extra || {})};
    for (const fn of this.listeners) fn(event);
  }

  // Connected pieces of a grid's units (shared edges >= 1 m), largest first.
  pieces(g) {
    const seen = new Set();
    const out = [];
    for (const start of this.members[g]) {
      if (seen.has(start)) continue;
      seen.add(start);
      const piece = [];
      const todo = [start];
      while (todo.length) {
        const u = todo.pop();
        piece.push(u);
        for (const k of this.adj[u]) {
          const p = this.pairs[k];
          const v = p[0] === u ? p[1] : p[0];
          if (!seen.has(v) && this.assign[v] === g) { seen.add(v); todo.push(v); }
        }
      }
      out.push(piece);
    }
    return out.sort((a, b) => b.length - a.length || Math.min(...a) - Math.min(...b));
  }

  compactness(g) {
    const p = this.tot.perim[g];
    return p > 0 ? (4 * Math.PI * this.tot.area[g]) / (p * p) : null;
  }

  band(g) {
    const h = this.tot.hh[g];
    if (h < this.bounds.min) return 'under';
    if (h > this.bounds.max) return 'over';
    return 'within';
  }

  teamMissing(g) {
    const team = this.grids[g].team;
    return ['leader', 'full_time'].filter((r) => !team[r]);
  }

  // Grids shown: existing ones, and new ones that hold units.
  visible(g) { return this.grids[g].id !== null || this.tot.units[g] > 0; }

  gridKey(g) { return this.grids[g].id !== null ? this.grids[g].id : this.grids[g].label; }

  gridLabel(g) {
    const grid = this.grids[g];
    return grid.code ? `${grid.code.slice(-3)} ${grid.name}` : `${grid.label} ${grid.name}`;
  }

  communityOf(g) { return this.grids[g].community; }
}

export function cloneTeam(team) {
  return {leader: team.leader ? {...team.leader} : null, full_time: team.full_time ? {...team.full_time} : null,
          part_time: (team.part_time || []).map((p) => ({...p}))};
}

export function sameTeam(a, b) {
  const ids = (t) => [t.leader && t.leader.id, t.full_time && t.full_time.id, ...t.part_time.map((p) => p.id).sort()];
  return JSON.stringify(ids(a)) === JSON.stringify(ids(b));
}

function zeroCounts() { return {units: 0, hh: 0, shops: 0, req: 0}; }
