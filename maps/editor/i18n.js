// Words of the editor in Chinese (first) and English; the choice is kept in localStorage.

const WORDS = {
  zh: {
    title: '网格编辑器', language: '语言', loading: '正在载入方案…', version: '第 {v} 版',
    readonly: '只读', draft: '调整稿',
    click: '点选', brush: '刷涂', box: '框选', select: '选择', split: '沿街拆分', merge: '合并',
    unitBlock: '按街区', unitBuilding: '按楼栋', newGrid: '选中区域新建网格', undo: '撤销', redo: '重做',
    save: '保存', redraw: '自动调整', diff: '调整对比', activate: '生效', export: '导出', help: '快捷键',
    lock: '锁定', unlock: '解锁', locked: '已锁定', zoomTo: '定位',
    grids: '网格', active: '当前网格', noActive: '在右侧列表或右键地图选择网格',
    households: '户数', residents: '人口', shops: '商户', requests: '待办诉求', team: '队伍',
    pieces: '块数', compactness: '紧凑度', units: '单元', area: '面积',
    under: '偏少', within: '适度', over: '超限', split_pieces: '分成 {n} 块',
    teamOk: '1+1+X 齐全', teamMissing: '缺{roles}', leader: '网格长', full_time: '专职网格员',
    part_time: '兼职网格员', nobody: '（未指定）', addPartTime: '添加兼职', remove: '移除',
    changed: '本次修改（未保存）', vsParent: '与上一版方案相比', movedHouseholds: '住户 {n} 户',
    movedShops: '商户 {n} 家', movedRequests: '诉求 {n} 件', unsaved: '有未保存的修改', saved: '已保存：第 {v} 版',
    community: '社区', filter: '筛选', allCommunities: '全部社区', activeCommunity: '当前网格所在社区', search: '搜索编码或名称',
    painted: '已划入 {grid}', lockedRefused: '网格 {grid} 已锁定', otherCommunity: '单元属于另一个社区，不能划入 {grid}',
    noUnitGrid: '该单元不在任何网格中', pickGridFirst: '请先选择一个网格',
    selection: '已选 {n} 个单元', emptySelection: '请先选择单元（选择工具）', selectionCommunities: '所选单元须在同一社区',
    mergePick: '点击要并入 {grid} 的网格', mergeDone: '{from} 已并入 {to}', splitPick: '点击一条街巷拆分 {grid}',
    splitNone: '{street} 没有把 {grid} 分开', splitDone: '{grid} 沿 {street} 拆成 {n} 块',
    newGridName: '新网格名称', newGridDone: '已新建 {grid}', cancel: '取消', ok: '确定', close: '关闭',
    saving: '正在保存…', saveFailed: '保存失败：{msg}', nothingToSave: '没有需要保存的修改',
    staleTitle: '方案已被他人修改', staleBody: '您基于第 {mine} 版编辑，现在是第 {now} 版。其他修改：',
    reloadReapply: '重新载入并重做我的修改', reapplied: '已在第 {v} 版上重做 {n} 处修改，请检查后保存',
    reapplySkipped: '{n} 处修改无法重做（网格已不存在）', unitsChanged: '街巷或楼栋已变化，请重新载入编辑器',
    change: '{action}（第 {v} 版，{at}{actor}）：{grids}',
    redrawTitle: '自动调整建议', redrawNone: '没有超出户数范围的网格', redrawMoves: '迁移住户 {n} 户、商户 {s} 家、街区 {b} 个',
    accept: '采纳', reject: '放弃', saveFirst: '请先保存修改', redrawDone: '已采纳：第 {v} 版',
    outOfBounds: '超出范围：{list}',
    diffTitle: '调整对比（已保存的调整稿与上一版）', from: '原网格', to: '新网格', count: '数量', role: '岗位',
    noParent: '没有上一版方案可比', none: '无', outside: '（网格外）',
    activateTitle: '生效方案', activateConfirm: '生效后，第 {v} 版将成为正式方案，原方案退役。',
    activated: '方案已生效', coverageFailed: '覆盖检查未通过：{list}', teamIncomplete: '{n} 个网格缺网格长或专职网格员',
    overrideReason: '仍要生效的理由', activateAnyway: '说明理由后生效',
    exportGeojson: 'GeoJSON', exportGpkg: 'GeoPackage', exportPng: '打印图（PNG）', exportNoGpkg: '服务器未提供 GeoPackage 导出',
    pngTitle: '{community}网格划分图', legendTitle: '图例', northArrow: '北',
    keys: '快捷键：C 点选 · B 刷涂 · X 框选 · S 选择 · K 沿街拆分 · M 合并 · N 新建网格 · U 街区/楼栋 · L 锁定 · Ctrl+Z 撤销 · Ctrl+Y 重做 · Ctrl+S 保存 · [ ] 上/下一个网格 · Esc 取消',
    makeDraft: '复制为调整稿并编辑',
    edit_reassign: '编辑器保存', edit_move: '移动区域', edit_split: '拆分', edit_merge: '合并网格',
    edit_replace: '替换边界', edit_renumber: '重新编号', edit_team: '调整队伍',
    generate: '按街巷重新生成',
  },
  en: {
    title: 'Grid editor', language: 'Language', loading: 'Loading the plan…', version: 'version {v}',
    readonly: 'read-only', draft: 'draft',
    click: 'Click', brush: 'Brush', box: 'Box', select: 'Select', split: 'Split along street', merge: 'Merge',
    unitBlock: 'Blocks', unitBuilding: 'Buildings', newGrid: 'New grid from selection', undo: 'Undo', redo: 'Redo',
    save: 'Save', redraw: 'Redraw', diff: 'Diff', activate: 'Activate', export: 'Export', help: 'Shortcuts',
    lock: 'Lock', unlock: 'Unlock', locked: 'locked', zoomTo: 'Zoom to',
    grids: 'Grids', active: 'Active grid', noActive: 'Pick a grid in the list or right-click the map',
    households: 'Households', residents: 'Residents', shops: 'Shops', requests: 'Open requests', team: 'Team',
    pieces: 'Pieces', compactness: 'Compactness', units: 'Units', area: 'Area',
    under: 'under', within: 'within', over: 'over', split_pieces: 'in {n} pieces',
    teamOk: '1+1+X complete', teamMissing: 'no {roles}', leader: 'leader', full_time: 'full-time worker',
    part_time: 'part-time workers', nobody: '(nobody)', addPartTime: 'Add part-time', remove: 'Remove',
    changed: 'This session (unsaved)', vsParent: 'Against the previous plan', movedHouseholds: '{n} households',
    movedShops: '{n} shops', movedRequests: '{n} requests', unsaved: 'Unsaved changes', saved: 'Saved: version {v}',
    community: 'Community', filter: 'Filter', allCommunities: 'All communities', activeCommunity: "The active grid's community", search: 'Search code or name',
    painted: 'Given to {grid}', lockedRefused: 'Grid {grid} is locked', otherCommunity: 'That unit is in another community than {grid}',
    noUnitGrid: 'That unit is in no grid', pickGridFirst: 'Pick a grid first',
    selection: '{n} units selected', emptySelection: 'Select units first (Select tool)', selectionCommunities: 'Selected units must lie in one community',
    mergePick: 'Click the grid to merge into {grid}', mergeDone: '{from} merged into {to}', splitPick: 'Click a street to split {grid}',
    splitNone: '{street} does not cut {grid} in two', splitDone: '{grid} split along {street} into {n}',
    newGridName: 'Name of the new grid', newGridDone: 'Made {grid}', cancel: 'Cancel', ok: 'OK', close: 'Close',
    saving: 'Saving…', saveFailed: 'Save failed: {msg}', nothingToSave: 'Nothing to save',
    staleTitle: 'Someone else changed the plan', staleBody: 'You edited version {mine}; it is now version {now}. Their changes:',
    reloadReapply: 'Reload and reapply my changes', reapplied: 'Reapplied {n} changes on version {v}: check and save',
    reapplySkipped: '{n} changes could not be reapplied (grid gone)', unitsChanged: 'Streets or buildings changed: reload the editor',
    change: '{action} (version {v}, {at}{actor}): {grids}',
    redrawTitle: 'Redraw proposal', redrawNone: 'No grid is out of its household bounds', redrawMoves: 'moves {n} households, {s} shops, {b} blocks',
    accept: 'Accept', reject: 'Reject', saveFirst: 'Save your changes first', redrawDone: 'Accepted: version {v}',
    outOfBounds: 'Out of bounds: {list}',
    diffTitle: 'Diff (saved draft against the previous plan)', from: 'From', to: 'To', count: 'Count', role: 'Role',
    noParent: 'No previous plan to compare with', none: 'none', outside: '(no grid)',
    activateTitle: 'Activate the plan', activateConfirm: 'Version {v} becomes the plan in force; the current one retires.',
    activated: 'The plan is active', coverageFailed: 'Coverage check fails: {list}', teamIncomplete: '{n} grids lack a leader or a full-time worker',
    overrideReason: 'Reason to activate anyway', activateAnyway: 'Activate with this reason',
    exportGeojson: 'GeoJSON', exportGpkg: 'GeoPackage', exportPng: 'Printable map (PNG)', exportNoGpkg: 'This server offers no GeoPackage export',
    pngTitle: 'Grids of {community}', legendTitle: 'Legend', northArrow: 'N',
    keys: 'Keys: C click · B brush · X box · S select · K split · M merge · N new grid · U blocks/buildings · L lock · Ctrl+Z undo · Ctrl+Y redo · Ctrl+S save · [ ] previous/next grid · Esc cancel',
    makeDraft: 'Copy to a draft and edit',
    edit_reassign: 'editor save', edit_move: 'move', edit_split: 'split', edit_merge: 'merge',
    edit_replace: 'new boundary', edit_renumber: 'renumbering', edit_team: 'team',
    generate: 'regenerated from streets',
  },
};

let lang = 'zh';

export function setLanguage(code) {
  lang = WORDS[code] ? code : 'zh';
  try { localStorage.setItem('gisgrid.lang', lang); } catch (err) { /* private mode: not kept */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.dispatchEvent(new CustomEvent('gisgrid:language'));
}

export function initialLanguage() {
  let kept = null;
  try { kept = localStorage.getItem('gisgrid.lang'); } catch (err) { kept = null; }
  return WORDS[kept] ? kept : 'zh';
}

export function language() { return lang; }

// t('painted', {grid: '037'}) -> '已划入 037'
export function t(key, vars) {
  const text = (WORDS[lang] && WORDS[lang][key]) || WORDS.zh[key] || key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}
