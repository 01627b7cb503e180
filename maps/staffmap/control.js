// The layer control: one checkbox per overlay (and the grid labels), and the basemap choice.
import {t} from './i18n.js';
import {TOGGLES, setToggle} from './layers.js';

export function buildLayerControl(box, map, {onToggle}) {
  box.replaceChildren();
  const h = document.createElement('h2');
  h.dataset.i18n = 'layers';
  h.textContent = t('layers');
  box.append(h);
  const items = [...TOGGLES.map((tg) => ({id: tg.id, on: tg.on})), {id: 'labels', on: true}];
  for (const item of items) {
    const label = document.createElement('label');
    label.className = 'sm-toggle';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = item.on;
    input.dataset.layer = item.id;
    input.addEventListener('change', () => {
      if (item.id !== 'labels') setToggle(map, item.id, input.checked);
      onToggle(item.id, input.checked);
    });
    const span = document.createElement('span');
    span.dataset.i18n = `layer_${item.id}`;
    span.textContent = t(`layer_${item.id}`);
    label.append(input, span);
    box.append(label);
  }
}

export function buildBasemapSelect(select, basemaps, current, lang, onChange) {
  select.replaceChildren(...basemaps.map((b) => {
    const option = document.createElement('option');
    option.value = b.id;
    option.textContent = b.name[lang] || b.name.zh;
    option.selected = b.id === current;
    return option;
  }));
  select.onchange = () => onChange(select.value);
}
