// Exports of the saved draft: GeoJSON and GeoPackage (the server's export route when it has one;
// otherwise GeoJSON written here from the grids endpoint), and a printable PNG map of one
// community with grid codes and names, as community offices pin on their walls.
import {t} from './i18n.js';
import {gridColour} from './layer.js';
import {api, download, toast} from './ui.js';

export async function exportGrids(ctx, format) {
  const s = ctx.state;
  if (ctx.exports.includes(format)) {
    window.location.href = `/v1/plans/${s.plan.id}/export?format=${format}`;
    return;
  }
  if (format !== 'geojson') { toast(t('exportNoGpkg'), 'warn'); return; }
  const r = await api('GET', `/v1/plans/${s.plan.id}/grids`);
  if (!r.ok) { toast(t('saveFailed', {msg: r.status}), 'error'); return; }
  download(`plan-${s.plan.id}-v${s.plan.version}-grids.geojson`,
           new Blob([JSON.stringify(r.data)], {type: 'application/geo+json'}));
}

const PAGE = {width: 2339, height: 1654, margin: 90, top: 170};   // A4 landscape at 200 dpi

export async function printMap(ctx, community) {
  const s = ctx.state;
  const r = await api('GET', `/v1/plans/${s.plan.id}/grids?community=${encodeURIComponent(community)}`);
  if (!r.ok || !r.data.features.length) { toast(t('saveFailed', {msg: r.status}), 'error'); return null; }
  const canvas = drawCommunity(ctx, r.data.features, community);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  download(`plan-${s.plan.id}-${community}.png`, blob);
  return canvas;
}

export function drawCommunity(ctx, features, community) {
  const s = ctx.state;
  const canvas = document.createElement('canvas');
  canvas.width = PAGE.width;
  canvas.height = PAGE.height;
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  const project = projection(features);
  const index = new Map(s.grids.map((grid, i) => [grid.id, i]));
  for (const f of features) {
    const residential = f.properties.kind === 'residential';
    g.beginPath();
    polygons(f.geometry).forEach((rings) => rings.forEach((ring) => ring.forEach(([x, y], k) => {
      const [px, py] = project(x, y);
      if (k === 0) g.moveTo(px, py); else g.lineTo(px, py);
    })));
    g.closePath();
    if (residential) {
      g.fillStyle = gridColour(index.has(f.id) ? index.get(f.id) : 0);
      g.fill('evenodd');
    }
    g.setLineDash(residential ? [] : [18, 10]);
    g.lineWidth = residential ? 3 : 4;
    g.strokeStyle = residential ? '#1f2933' : '#9b1c1c';
    g.stroke();
  }
  g.setLineDash([]);
  for (const f of features) label(g, project, f);
  const name = (s.doc.communities.find((c) => c.code === community) || {name: community}).name;
  g.fillStyle = '#111827';
  g.font = '600 56px "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  g.fillText(t('pngTitle', {community: name}), PAGE.margin, 95);
  g.font = '28px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  g.fillText(`${s.plan.name} · ${t('version', {v: s.plan.version})} · ${new Date().toISOString().slice(0, 10)}`,
             PAGE.margin, 140);
  scaleBar(g, project.metresPerPixel);
  northArrow(g);
  return canvas;
}

function polygons(geometry) {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

function projection(features) {
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const f of features) polygons(f.geometry).forEach((p) => p[0].forEach(([x, y]) => {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }));
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const w = PAGE.width - 2 * PAGE.margin;
  const h = PAGE.height - PAGE.top - PAGE.margin;
  const scale = Math.min(w / ((x1 - x0) * k), h / (y1 - y0));
  const dx = PAGE.margin + (w - (x1 - x0) * k * scale) / 2;
  const dy = PAGE.top + (h - (y1 - y0) * scale) / 2;
  const project = (x, y) => [dx + (x - x0) * k * scale, dy + (y1 - y) * scale];
  project.metresPerPixel = 111320 / scale;
  return project;
}

function label(g, project, f) {
  // At the centre of the grid's largest ring's bounding box, nudged onto the polygon's vertex mean.
  let best = null;
  for (const rings of polygons(f.geometry)) if (!best || rings[0].length > best.length) best = rings[0];
  let sx = 0; let sy = 0; let x0 = Infinity; let x1 = -Infinity;
  for (const [x, y] of best) {
    const [px, py] = project(x, y);
    sx += px; sy += py; x0 = Math.min(x0, px); x1 = Math.max(x1, px);
  }
  const [cx, cy] = [sx / best.length, sy / best.length];
  const p = f.properties;
  g.textAlign = 'center';
  g.fillStyle = p.kind === 'residential' ? '#111827' : '#9b1c1c';
  g.font = '700 30px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  g.fillText(p.code.slice(-3), cx, cy - 6);
  // The name in the largest of three sizes that fits the grid's width (none if even 14 px does not).
  for (const size of [22, 18, 14]) {
    g.font = `${size}px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;
    if (g.measureText(p.name).width <= 0.92 * (x1 - x0)) { g.fillText(p.name, cx, cy + 6 + size); break; }
  }
  g.textAlign = 'left';
}

function scaleBar(g, metresPerPixel) {
  const target = 300 * metresPerPixel;
  const nice = [50, 100, 200, 250, 500, 1000, 2000, 5000].reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
  const px = nice / metresPerPixel;
  const x = PAGE.margin;
  const y = PAGE.height - 40;
  g.fillStyle = '#111827';
  g.fillRect(x, y - 10, px, 10);
  g.font = '24px sans-serif';
  g.fillText(nice >= 1000 ? `${nice / 1000} km` : `${nice} m`, x + px + 12, y);
}

function northArrow(g) {
  const x = PAGE.width - PAGE.margin;
  const y = 70;
  g.beginPath();
  g.moveTo(x, y - 40);
  g.lineTo(x + 18, y + 20);
  g.lineTo(x, y + 8);
  g.lineTo(x - 18, y + 20);
  g.closePath();
  g.fillStyle = '#111827';
  g.fill();
  g.font = '700 28px "Noto Sans CJK SC", sans-serif';
  g.textAlign = 'center';
  g.fillText(t('northArrow'), x, y + 55);
  g.textAlign = 'left';
}
