// Undo and redo: every stroke (a brush drag, a click, a merge, a split, a team change) is one step.

export const HISTORY_LIMIT = 200; // at least 50 steps, as planners asked

export class History {
  constructor(state) {
    this.state = state;
    this.done = [];
    this.undone = [];
    this.stroke = null;
    this.listeners = [];
  }

  begin(label) {
    if (!this.stroke) this.stroke = {label, changes: [], teams: []};
    return this.stroke;
  }

  record(change) { if (this.stroke) this.stroke.changes.push(change); }

  recordTeam(g, before, after) { if (this.stroke) this.stroke.teams.push([g, before, after]); }

  end() {
    const stroke = this.stroke;
    this.stroke = null;
    if (stroke && (stroke.changes.length || stroke.teams.length)) {
      this.done.push(stroke);
      if (this.done.length > HISTORY_LIMIT) this.done.shift();
      this.undone = [];
      this.notify();
    }
  }

  undo() { this.replay(this.done, this.undone, true); }

  redo() { this.replay(this.undone, this.done, false); }

  replay(from, to, backwards) {
    const stroke = from.pop();
    if (!stroke) return;
    const s = this.state;
    const units = [];
    const grids = new Set();
    const changes = backwards ? [...stroke.changes].reverse() : stroke.changes;
    for (const [u, was, now] of changes) {
      s.move(u, backwards ? was : now);
      units.push(u);
      if (was >= 0) grids.add(was);
      if (now >= 0) grids.add(now);
    }
    const teams = backwards ? [...stroke.teams].reverse() : stroke.teams;
    for (const [g, before, after] of teams) {
      s.grids[g].team = backwards ? before : after;
      grids.add(g);
    }
    to.push(stroke);
    s.emit(units, grids, {history: true, teams: stroke.teams.length > 0});
    this.notify();
  }

  clear() { this.done = []; this.undone = []; this.stroke = null; this.notify(); }

  on(fn) { this.listeners.push(fn); }

  notify() { for (const fn of this.listeners) fn(this); }
}
