// Small DOM helpers: elements built with textContent (names are user input), a toast, a dialog.

// el('button', {class: 'x', dataset: {k: 'v'}, onclick: fn}, 'text', child...)
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let toastTimer = null;

export function toast(message, kind) {
  const box = document.getElementById('ed-toast');
  box.textContent = message;
  box.className = kind || 'info';
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 8000 : 3000);
}

export function status(message) {
  document.getElementById('ed-status').textContent = message;
}

// A modal dialog; returns a function that closes it. `body` is a node or an array of nodes.
export function dialog(title, body, buttons) {
  const box = document.getElementById('ed-dialog');
  box.replaceChildren();
  const close = () => { box.hidden = true; box.replaceChildren(); };
  const row = el('div', {class: 'ed-dialog-buttons'},
    (buttons || []).map((b) => el('button', {type: 'button', class: b.primary ? 'primary' : '', dataset: {action: b.action || ''},
                                             onclick: () => b.run(close)}, b.label)));
  box.append(el('div', {class: 'ed-dialog-box', role: 'dialog', 'aria-label': title},
    el('h2', {}, title), el('div', {class: 'ed-dialog-body'}, body), row));
  box.hidden = false;
  return close;
}

export async function api(method, url, body) {
  const init = {method, headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  return {ok: response.ok, status: response.status, data};
}

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
