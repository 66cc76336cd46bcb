// Small DOM helpers: element building, error boxes with request ids, chips, progress, dialogs.

/** `h('a', {href: '#'}, 'text', child)`: an element; `on…` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'value') el.value = value;
    else if (name === 'checked' || name === 'selected') el[name] = Boolean(value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique id for label/input pairs. */
function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled control: `<div class="field"><label for>…</label><control id></div>`. */
export function field(text, control, hint) {
  if (!control.id) control.id = uid();
  const parts = [h('label', { for: control.id }, text), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/** An error box: the API's message and its request id. */
export function errorBox(error) {
  return h(
    'div',
    { class: 'alert', role: 'alert' },
    h('span', { class: 'message' }, error.message || String(error)),
    error.requestId ? h('span', { class: 'request-id' }, ' Request id: ', h('code', {}, error.requestId)) : null,
    error.status === 401 ? h('span', {}, ' Sign out, then sign in with a valid key.') : null,
  );
}

/** A success note that screen readers announce. */
export function okBox(...children) {
  return h('div', { class: 'ok', role: 'status' }, children);
}

export const COLORS = ['gray', 'red', 'orange', 'amber', 'yellow', 'lime', 'green', 'emerald', 'teal', 'sky', 'blue', 'violet', 'pink'];

/** A label as a coloured chip. */
export function chip(label, ...extra) {
  return h('span', { class: `chip chip-${label.color}`, 'data-label-id': label.id }, h('span', {}, label.name), extra);
}

/** `<select>` of options `[value, text]`, with `selected` chosen. */
export function select(options, selected, attrs = {}) {
  return h('select', attrs, options.map(([value, text]) => h('option', { value, selected: value === selected }, text)));
}

/** A progress bar with a live text: `set(done, total, text)`. */
export function progress(label) {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': label });
  const text = h('span', { class: 'progress-text', role: 'status', 'aria-live': 'polite' }, label);
  const el = h('div', { class: 'progress' }, bar, text);
  return {
    el,
    set(done, total, message) {
      bar.max = Math.max(total, 1);
      bar.value = Math.min(done, bar.max);
      text.textContent = message || `${label}: ${done.toLocaleString()} of ${total.toLocaleString()}`;
    },
  };
}

/** A modal confirmation; resolves to true when confirmed. Focus starts on Cancel. */
export function confirmDialog(message, confirmText = 'Delete') {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'danger' }, confirmText);
    const dialog = h('dialog', { 'aria-labelledby': uid('dlg') }, h('p', {}, message), h('div', { class: 'actions' }, cancel, ok));
    dialog.querySelector('p').id = dialog.getAttribute('aria-labelledby');
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => close(false));
    ok.addEventListener('click', () => close(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** Text shown once, with a button that copies it. */
export function secretBox(title, secret) {
  const code = h('code', { class: 'secret', tabindex: '0' }, secret);
  const copied = h('span', { role: 'status', class: 'hint' });
  const copy = h('button', {
    type: 'button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(secret);
        copied.textContent = 'Copied.';
      } catch {
        window.getSelection().selectAllChildren(code);
        copied.textContent = 'Selected: press Ctrl+C to copy.';
      }
    },
  }, 'Copy');
  return h('div', { class: 'secret-box', role: 'region', 'aria-label': title },
    h('strong', {}, title), h('p', {}, 'Shown only now: copy it into your receiver.'), h('div', { class: 'row' }, code, copy, copied));
}

/** `2026-05-23T10:00:00.000Z` → local, readable. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}
