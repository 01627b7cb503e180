// Keyboard shortcuts (listed in the help dialog, i18n key "keys").

export function bindKeys(ctx) {
  const byKey = {
    c: () => ctx.tools.setMode('click'), b: () => ctx.tools.setMode('brush'), x: () => ctx.tools.setMode('box'),
    s: () => ctx.tools.setMode('select'), k: () => ctx.tools.setMode('split'), m: () => ctx.tools.setMode('merge'),
    n: () => ctx.gridFromSelection(), u: () => ctx.toggleUnitMode(),
    l: () => { if (ctx.active >= 0) ctx.toggleLock(ctx.active); },
    '[': () => ctx.stepActive(-1), ']': () => ctx.stepActive(+1),
    escape: () => { ctx.select([]); ctx.tools.setMode('click'); },
  };
  document.addEventListener('keydown', (e) => {
    const target = e.target;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    const key = e.key.toLowerCase();
    if (e.ctrlKey || e.metaKey) {
      if (key === 'z' && !e.shiftKey) ctx.history.undo();
      else if (key === 'y' || (key === 'z' && e.shiftKey)) ctx.history.redo();
      else if (key === 's') ctx.save();
      else return;
      e.preventDefault();
      return;
    }
    if (ctx.readonly && key !== 'escape') return;
    if (byKey[key]) { byKey[key](); e.preventDefault(); }
  });
}
