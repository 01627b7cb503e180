// Activate the saved draft from the page. The server's gate explains a refusal: the coverage
// check's defects, or the grids short of a leader or full-time worker (which a reason overrides).
import {t} from './i18n.js';
import {isDirty} from './save.js';
import {api, dialog, el, toast} from './ui.js';

export function activate(ctx) {
  const s = ctx.state;
  if (isDirty(s)) { toast(t('saveFirst'), 'warn'); return; }
  dialog(t('activateTitle'), el('p', {}, t('activateConfirm', {v: s.plan.version})), [
    {label: t('activate'), primary: true, action: 'activate', run: (close) => { close(); send(ctx, null); }},
    {label: t('cancel'), action: 'cancel', run: (close) => close()},
  ]);
}

async function send(ctx, reason) {
  const s = ctx.state;
  const body = {version: s.plan.version};
  if (reason) body.team_override = reason;
  const r = await api('POST', `/v1/plans/${s.plan.id}/activate`, body);
  if (r.ok) {
    toast(t('activated'));
    window.location.reload();   // an active plan opens read-only
    return;
  }
  const code = r.data && r.data.code;
  if (code === 'coverage_failed') {
    const counts = Object.entries(r.data.details.counts).map(([k, n]) => `${k} ${n}`).join('，');
    dialog(t('activateTitle'), [el('p', {id: 'ed-gate'}, t('coverageFailed', {list: counts})),
      el('ul', {}, r.data.details.defects.slice(0, 20).map((d) => el('li', {}, d.message)))],
    [{label: t('close'), action: 'close', run: (close) => close()}]);
  } else if (code === 'team_incomplete') {
    const reasonBox = el('textarea', {id: 'ed-override', rows: '3', maxlength: '500'});
    dialog(t('activateTitle'), [
      el('p', {id: 'ed-gate'}, t('teamIncomplete', {n: r.data.details.count})),
      el('ul', {}, r.data.details.grids.slice(0, 30).map((g) => el('li', {},
        `${g.code.slice(-3)} ${g.name}: ${g.missing.map((m) => t(m)).join('、')}`))),
      el('label', {}, t('overrideReason'), reasonBox)],
    [{label: t('activateAnyway'), primary: true, action: 'override', run: (close) => {
      if (!reasonBox.value.trim()) { reasonBox.focus(); return; }
      close();
      send(ctx, reasonBox.value.trim());
    }}, {label: t('cancel'), action: 'cancel', run: (close) => close()}]);
  } else {
    toast(t('saveFailed', {msg: r.data ? r.data.message : r.status}), 'error');
    if (code === 'stale_version') await ctx.reload();
  }
}
