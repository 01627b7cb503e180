// Popups: a grid with its 1+1+X team (from /v1/grids/{id}/team, names and phones as the
// caller may see them), a request or a cluster of them, a resource with its particulars,
// a shop. Text only (textContent): nothing from the data is parsed as HTML.
import {t} from './i18n.js';

const POINT_LAYERS = ['requests-dot', 'resources-dot', 'shops-dot'];
const GRID_LAYERS = ['grids-fill'];

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function line(key, value) {
  const p = el('div', null, 'sm-pop-line');
  p.append(el('span', `${t(key)}：`, 'sm-pop-key'), el('span', value));
  return p;
}

async function fetchJson(url) {
  const r = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

function teamList(team) {
  const ul = el('ul', null, 'sm-team');
  if (!team.length) ul.append(el('li', t('no_team')));
  for (const m of team) {
    const li = el('li');
    li.dataset.role = m.role;
    li.append(el('span', `${t(`role_${m.role}`)} `, 'sm-pop-key'), el('span', m.name || '—'));
    if (m.phone) li.append(el('span', ` ${m.phone}`, 'sm-phone'));
    ul.append(li);
  }
  return ul;
}

export function gridContent(grid, {standalone}) {
  const box = el('div', null, 'sm-pop sm-pop-grid');
  box.dataset.code = grid.code;
  box.append(el('h3', grid.name), line('code', grid.code), line('grid', t(`kind_${grid.kind}`)),
             line('community', grid.community), line('households', grid.households));
  const team = el('div', null, 'sm-pop-team');
  team.append(el('h4', t('team')));
  box.append(team);
  if (standalone) {
    team.append(teamList(grid.team || []));
  } else {
    const wait = el('p', t('loading'));
    team.append(wait);
    fetchJson(`/v1/grids/${grid.id}/team`).then((doc) => wait.replaceWith(teamList(doc.team)))
      .catch(() => { wait.textContent = '—'; });
  }
  return box;
}

function requestContent(p) {
  const box = el('div', null, 'sm-pop sm-pop-request');
  box.dataset.stage = p.stage;
  if ((p.n || 1) > 1) {
    box.append(el('h3', t('requests_n', p.n)), line('layer_requests', t(`stage_${p.stage}`)),
               line('open', p.open), line('overdue', p.overdue), el('p', t('zoom_in')));
  } else {
    box.append(el('h3', `${t('layer_requests')} · ${t(`stage_${p.stage}`)}`), line('category', p.category || '—'));
    if (p.overdue > 0) box.append(el('p', t('overdue'), 'sm-overdue'));
  }
  return box;
}

function resourceContent(p, standalone) {
  const box = el('div', null, 'sm-pop sm-pop-resource');
  box.append(el('h3', p.name), line('layer_resources', t(`res_${p.kind}`)));
  if (p.grid_code) box.append(line('grid', p.grid_code));
  if (standalone || p.id === undefined) return box;
  fetchJson(`/v1/resources/${p.id}`).then((doc) => {
    const q = doc.properties;
    if (q.address) box.append(line('address', q.address));
    if (q.floor_area_m2) box.append(line('floor_area', `${q.floor_area_m2} m²`));
    if (q.members) box.append(line('members', q.members));
    if (q.projects && q.projects.length) box.append(line('projects', q.projects.join('；')));
    if (q.details) box.append(el('p', q.details));
    if (q.contact) box.append(line('contact', [q.contact.name, q.contact.phone].filter(Boolean).join(' ')));
  }).catch(() => {});
  return box;
}

function shopContent(p) {
  const box = el('div', null, 'sm-pop sm-pop-shop');
  box.append(el('h3', p.name), line('category', p.category || '—'));
  return box;
}

export function installPopups(app) {
  const {map} = app;
  const popup = new maplibregl.Popup({maxWidth: '320px'});
  app.popup = popup;
  const visible = (ids) => ids.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  map.on('click', (ev) => {
    const hits = map.queryRenderedFeatures(ev.point, {layers: visible(POINT_LAYERS)});
    if (hits.length) {
      const f = hits[0];
      const p = {...f.properties, id: f.id ?? f.properties.id};
      const content = f.layer.id === 'requests-dot' ? requestContent(p)
        : f.layer.id === 'resources-dot' ? resourceContent(p, app.standalone) : shopContent(p);
      if (f.layer.id === 'requests-dot' && (p.n || 1) > 1) map.easeTo({center: ev.lngLat, zoom: map.getZoom() + 2});
      popup.setLngLat(ev.lngLat).setDOMContent(content).addTo(map);
      return;
    }
    const grids = map.queryRenderedFeatures(ev.point, {layers: visible(GRID_LAYERS)});
    if (!grids.length) return;
    // An overlay (business grid) is named first: its team serves the shops under the pointer.
    const f = grids.find((g) => g.properties.kind === 'business') || grids[0];
    const grid = app.gridsByCode.get(f.properties.code);
    if (grid) app.openGrid(grid, ev.lngLat);
  });
  let hovered = null;
  map.on('mousemove', 'grids-fill', (ev) => {
    const f = ev.features[0];
    if (hovered !== null && hovered !== f.id) map.setFeatureState(hoverKey(app, hovered), {hover: false});
    hovered = f.id;
    if (hovered !== undefined && hovered !== null) map.setFeatureState(hoverKey(app, hovered), {hover: true});
    app.labels.setHover(f.properties.code);
    map.getCanvas().style.cursor = 'pointer';
  });
  map.on('mouseleave', 'grids-fill', () => {
    if (hovered !== null && hovered !== undefined) map.setFeatureState(hoverKey(app, hovered), {hover: false});
    hovered = null;
    app.labels.setHover(null);
    map.getCanvas().style.cursor = '';
  });
}

function hoverKey(app, id) {
  return app.standalone ? {source: 'grids', id} : {source: 'grids', sourceLayer: 'grids', id};
}
