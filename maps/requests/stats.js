// 诉求考核: the figures of an area and of its parts, drawn as SVG bars (no chart library).
// Reads GET /v1/requests/stats?area=&from=&to=&parts=true; writes nothing, holds no personal data.

const SVG = "http://www.w3.org/2000/svg";
const body = document.body;
const FIGURES = [
  ["received", "受理数"], ["closed", "结案数"], ["closing_rate", "结案率", "rate"],
  ["on_time_rate", "按期结案率", "rate"], ["overdue_now", "当前超期"],
  ["mean_days_to_close", "平均办结(工作日)"], ["p90_days_to_close", "90%办结(工作日)"], ["returned", "退回次数"],
];

function el(tag, attrs = {}, text = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function show(value, kind) {
  if (value === null || value === undefined) return "—";
  return kind === "rate" ? `${(value * 100).toFixed(1)}%` : String(value);
}

function cards(figures) {
  const box = document.getElementById("cards");
  box.replaceChildren(...FIGURES.map(([key, label, kind]) => {
    const card = el("div", { class: "card", "data-figure": key });
    card.append(el("div", { class: "value" }, show(figures[key], kind)), el("div", { class: "label" }, label));
    return card;
  }));
}

// Grouped horizontal bars: one row per part, one bar per series.
function bars(target, parts, series, { max = null, format = (v) => String(v) } = {}) {
  const rowH = 14 * series.length + 10, left = 170, width = 720, top = 24;
  const height = top + rowH * Math.max(parts.length, 1) + 10;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" }, null, SVG);
  const top_ = max ?? Math.max(1e-9, ...parts.flatMap((p) => series.map(([k]) => p[k] ?? 0)));
  series.forEach(([, label, cls], i) => {
    const g = el("g", { class: "legend" }, null, SVG);
    g.append(el("rect", { x: left + i * 150, y: 4, width: 12, height: 12, class: cls }, null, SVG),
             el("text", { x: left + i * 150 + 16, y: 14 }, label, SVG));
    svg.append(g);
  });
  parts.forEach((p, row) => {
    const y0 = top + row * rowH;
    svg.append(el("text", { x: 4, y: y0 + rowH / 2 + 4 }, `${p.area.name}`, SVG));
    series.forEach(([key, , cls], i) => {
      const v = p[key] ?? 0;
      const w = Math.max(0, (width - left - 60) * (v / top_));
      const bar = el("rect", { x: left, y: y0 + i * 14, width: w, height: 12, class: `bar ${cls}`,
                               "data-area": p.area.code, "data-key": key, "data-value": String(v) }, null, SVG);
      bar.append(el("title", {}, `${p.area.name} ${format(p[key])}`, SVG));
      svg.append(bar, el("text", { x: left + w + 4, y: y0 + i * 14 + 10 }, format(p[key]), SVG));
    });
  });
  target.replaceChildren(svg);
}

function table(rows) {
  const t = document.getElementById("table");
  const head = el("tr");
  ["代码", "名称", ...FIGURES.map(([, label]) => label)].forEach((h) => head.append(el("th", {}, h)));
  t.replaceChildren(head, ...rows.map((r) => {
    const tr = el("tr", { "data-area": r.area.code });
    tr.append(el("td", {}, r.area.code), el("td", {}, r.area.name));
    FIGURES.forEach(([key, , kind]) => tr.append(el("td", {}, show(r[key], kind))));
    return tr;
  }));
}

async function load() {
  const status = document.getElementById("status");
  const params = new URLSearchParams({ area: body.dataset.area, parts: "true" });
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  status.className = "";
  status.textContent = "加载中…";
  const response = await fetch(`/v1/requests/stats?${params}`, { credentials: "same-origin" });
  const figures = await response.json();
  if (!response.ok) {
    status.className = "error";
    status.textContent = figures.message || `HTTP ${response.status}`;
    body.dataset.state = "error";
    return;
  }
  document.getElementById("from").value = figures.from;
  document.getElementById("to").value = figures.to;
  const x = new URLSearchParams({ area: body.dataset.area, from: figures.from, to: figures.to });
  document.getElementById("xlsx").href = `/v1/requests/stats.xlsx?${x}`;
  const parts = figures.parts.length ? figures.parts : [figures];
  cards(figures);
  bars(document.getElementById("chart-counts"), parts,
       [["received", "受理数", "bar-received"], ["closed", "结案数", "bar-closed"]]);
  bars(document.getElementById("chart-rates"), parts,
       [["closing_rate", "结案率", "bar-rate"], ["on_time_rate", "按期结案率", "bar-ontime"]],
       { max: 1, format: (v) => show(v, "rate") });
  bars(document.getElementById("chart-days"), parts,
       [["mean_days_to_close", "平均", "bar-mean"], ["p90_days_to_close", "90%", "bar-p90"]],
       { format: (v) => show(v) });
  table([figures, ...figures.parts]);
  status.textContent = `${figures.from} 至 ${figures.to}：受理 ${figures.received} 件，结案 ${figures.closed} 件`;
  body.dataset.received = String(figures.received);
  body.dataset.parts = String(figures.parts.length);
  body.dataset.state = "ready";
}

document.getElementById("from").value = body.dataset.from;
document.getElementById("to").value = body.dataset.to;
document.getElementById("period").addEventListener("submit", (event) => { event.preventDefault(); load(); });
load().catch((err) => {
  document.getElementById("status").textContent = String(err);
  body.dataset.state = "error";
});
