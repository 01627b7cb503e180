// Chinese first, English selectable (?lang=en or the selector; kept in localStorage).
const STRINGS = {
  zh: {
    title: '网格工作地图', language: '语言', search: '搜索', search_hint: '网格编码、网格名称或地址',
    basemap: '底图', home: '首页', grids_page: '网格图', layers: '图层', legend: '图例',
    note: '户数按网格统计；住户只以密度显示，不显示个人。',
    layer_grids: '网格', layer_households: '住户密度', layer_shops: '商户', layer_requests: '诉求',
    layer_heat: '诉求热力', layer_resources: '资源', layer_defects: '覆盖缺陷', layer_labels: '网格标注',
    kind_residential: '居民网格', kind_business: '商务网格', kind_special: '专属网格',
    stage_accepted: '已受理', stage_registered: '已登记', stage_dispatched: '已派遣', stage_in_progress: '处置中',
    stage_checked: '已核查', stage_closed: '已结案', stage_suspended: '已挂起', stage_returned: '已退回',
    stage_referred: '已转办', stage_duplicate: '重复',
    overdue: '超期', open: '未结', requests_n: (n) => `${n} 件诉求`, zoom_in: '放大查看',
    res_venue: '活动场地', res_merchant: '爱心商户', res_volunteer_team: '志愿服务队',
    res_party_unit: '报到党组织', res_service_center: '综合服务中心',
    role_leader: '网格长', role_full_time: '专职网格员', role_part_time: '兼职网格员',
    households: '户', residents: '人', per_ha: '户/公顷', team: '网格团队', loading: '加载中…',
    community: '社区', code: '编码', grid: '网格', shop: '商户', floor_area: '面积', members: '人数',
    projects: '认领项目', contact: '联系人', address: '地址', category: '类别',
    found_grid: (g) => `找到网格：${g.name}（${g.code}）`, found_address: (a, g) => `地址“${a}”在 ${g.name}（${g.code}）`,
    found_none: (q) => `未找到“${q}”`, found_outside: (a) => `地址“${a}”不在任何网格内`,
    defects_none: '当前方案没有覆盖缺陷', defect: '缺陷', no_team: '未配备团队',
  },
  en: {
    title: 'Grid staff map', language: 'Language', search: 'Search', search_hint: 'Grid code, grid name or address',
    basemap: 'Basemap', home: 'Home', grids_page: 'Grid map', layers: 'Layers', legend: 'Legend',
    note: 'Households are counted per grid and drawn as density only, never as persons.',
    layer_grids: 'Grids', layer_households: 'Household density', layer_shops: 'Shops', layer_requests: 'Requests',
    layer_heat: 'Request heat', layer_resources: 'Resources', layer_defects: 'Coverage defects', layer_labels: 'Grid labels',
    kind_residential: 'Residential grid', kind_business: 'Business grid', kind_special: 'Special grid',
    stage_accepted: 'Accepted', stage_registered: 'Registered', stage_dispatched: 'Dispatched', stage_in_progress: 'In progress',
    stage_checked: 'Checked', stage_closed: 'Closed', stage_suspended: 'Suspended', stage_returned: 'Returned',
    stage_referred: 'Referred', stage_duplicate: 'Duplicate',
    overdue: 'Overdue', open: 'Open', requests_n: (n) => `${n} requests`, zoom_in: 'Zoom in',
    res_venue: 'Venue', res_merchant: 'Merchant', res_volunteer_team: 'Volunteer team',
    res_party_unit: 'Reporting party unit', res_service_center: 'Service centre',
    role_leader: 'Grid leader', role_full_time: 'Full-time worker', role_part_time: 'Part-time worker',
    households: 'households', residents: 'residents', per_ha: 'households/ha', team: 'Grid team', loading: 'Loading…',
    community: 'Community', code: 'Code', grid: 'Grid', shop: 'Shop', floor_area: 'Floor area', members: 'Members',
    projects: 'Adopted projects', contact: 'Contact', address: 'Address', category: 'Category',
    found_grid: (g) => `Grid found: ${g.name} (${g.code})`, found_address: (a, g) => `Address "${a}" is in ${g.name} (${g.code})`,
    found_none: (q) => `Nothing found for "${q}"`, found_outside: (a) => `Address "${a}" lies in no grid`,
    defects_none: 'The active plans have no coverage defect', defect: 'Defect', no_team: 'No team',
  },
};

let lang = 'zh';

export function initLang(param) {
  const stored = (() => { try { return localStorage.getItem('gisgrid-staffmap-lang'); } catch { return null; } })();
  lang = STRINGS[param] ? param : (STRINGS[stored] ? stored : 'zh');
  return lang;
}

export function setLang(value) {
  lang = STRINGS[value] ? value : 'zh';
  try { localStorage.setItem('gisgrid-staffmap-lang', lang); } catch { /* private mode */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyI18n(document);
}

export function currentLang() { return lang; }

export function t(key, ...args) {
  const value = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

export function applyI18n(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}
