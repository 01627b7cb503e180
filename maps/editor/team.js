// The 1+1+X team of the active grid: a leader, a full-time worker, part-time workers, chosen
// from the district's staff. A change is one undoable step, saved with the other edits.
import {t} from './i18n.js';
import {cloneTeam} from './state.js';
import {el} from './ui.js';

export function renderTeam(ctx, box, g) {
  const s = ctx.state;
  const team = s.grids[g].team;
  const staff = s.doc.staff;
  const byId = new Map(staff.map((p) => [p.id, p]));
  const locked = s.grids[g].locked;

  const choose = (role) => {
    const select = el('select', {id: `ed-team-${role}`, disabled: locked || ctx.readonly},
      el('option', {value: ''}, t('nobody')),
      staff.map((p) => el('option', {value: String(p.id)}, `${p.name} (#${p.id})`)));
    select.value = team[role] ? String(team[role].id) : '';
    select.addEventListener('change', () => {
      const next = cloneTeam(team);
      next[role] = select.value ? byId.get(Number(select.value)) : null;
      setTeam(ctx, g, next);
    });
    return el('label', {class: team[role] ? '' : 'missing'}, t(role), select);
  };

  const part = el('ul', {class: 'ed-part-time'}, team.part_time.map((p) => {
    const drop = el('button', {type: 'button', title: t('remove'), disabled: locked || ctx.readonly}, '×');
    drop.addEventListener('click', () => {
      const next = cloneTeam(team);
      next.part_time = next.part_time.filter((x) => x.id !== p.id);
      setTeam(ctx, g, next);
    });
    return el('li', {}, p.name, ' ', drop);
  }));
  const add = el('select', {id: 'ed-team-add', disabled: locked || ctx.readonly},
    el('option', {value: ''}, t('addPartTime')),
    staff.filter((p) => !team.part_time.some((x) => x.id === p.id))
      .map((p) => el('option', {value: String(p.id)}, `${p.name} (#${p.id})`)));
  add.addEventListener('change', () => {
    if (!add.value) return;
    const next = cloneTeam(team);
    next.part_time.push(byId.get(Number(add.value)));
    setTeam(ctx, g, next);
  });
  box.replaceChildren(el('h3', {}, t('team')), choose('leader'), choose('full_time'),
                      el('div', {}, t('part_time'), part, add));
}

export function setTeam(ctx, g, team) {
  const s = ctx.state;
  const before = s.grids[g].team;
  s.grids[g].team = team;
  ctx.history.begin('team');
  ctx.history.recordTeam(g, before, team);
  ctx.history.end();
  s.emit([], new Set([g]), {teams: true});
}
