// The legend: grid kinds, household density, request stages (with the demo's counts),
// overdue ring, resource types.
import {t} from './i18n.js';
import {DENSITY_STEPS, KIND_COLOURS, OVERDUE, RESOURCE_COLOURS, STAGE_COLOURS} from './layers.js';

function row(colour, text, shape = 'box', border = null) {
  const div = document.createElement('div');
  div.className = 'sm-legend-row';
  const swatch = document.createElement('span');
  swatch.className = `sm-swatch sm-${shape}`;
  swatch.style.background = colour;
  if (border) swatch.style.border = `3px solid ${border}`;
  const label = document.createElement('span');
  label.textContent = text;
  div.append(swatch, label);
  return div;
}

function group(title) {
  const h = document.createElement('h3');
  h.textContent = title;
  return h;
}

export function buildLegend(box, stageCounts) {
  box.replaceChildren(group(t('legend')));
  box.append(group(t('layer_grids')));
  for (const [kind, colour] of Object.entries(KIND_COLOURS)) box.append(row(colour, t(`kind_${kind}`)));
  box.append(group(`${t('layer_households')}（${t('per_ha')}）`));
  for (const [value, colour] of DENSITY_STEPS) box.append(row(colour, `≥ ${value}`));
  box.append(group(t('layer_requests')));
  for (const [stage, colour] of Object.entries(STAGE_COLOURS)) {
    const n = stageCounts[stage] || 0;
    const r = row(colour, `${t(`stage_${stage}`)} · ${n}`, 'dot');
    r.dataset.stage = stage;
    r.dataset.count = String(n);
    box.append(r);
  }
  box.append(row('#ffffff', t('overdue'), 'dot', OVERDUE));
  box.append(group(t('layer_resources')));
  for (const [kind, colour] of Object.entries(RESOURCE_COLOURS)) box.append(row(colour, t(`res_${kind}`), 'dot'));
}
