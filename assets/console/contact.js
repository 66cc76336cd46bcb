// One contact: its fields, metadata and labels; edit, delete, attach and detach. Also the form
// that creates a contact.

import { api, listAll, newKey } from './api.js';
import { chip, confirmDialog, errorBox, field, fill, h, okBox, select, when } from './dom.js';
import { metadataProblems } from './rules.js';
import { ctx, go, labels } from './context.js';

export async function contactView(view, account, id) {
  const path = `/v1/${account}/contacts/${encodeURIComponent(id)}`;
  const contact = (await api('GET', path)).data;
  const status = h('div', { class: 'messages' });
  const form = contactForm(contact, 'Save changes', async (values) => {
    const patch = changes(contact, values);
    if (Object.keys(patch).length === 0) return fill(status, okBox('Nothing changed.'));
    const saved = (await api('PATCH', path, { body: patch })).data;
    Object.assign(contact, saved);
    fill(status, okBox('Saved.'));
    drawFacts();
  });
  const facts = h('dl', { class: 'facts' });
  function drawFacts() {
    fill(facts,
      h('dt', {}, 'Id'), h('dd', { class: 'mono' }, contact.id),
      h('dt', {}, 'Account'), h('dd', {}, `${contact.whatsapp_account.phone_number} (${contact.whatsapp_account.phone_number_id})`),
      h('dt', {}, 'Created'), h('dd', {}, when(contact.created_at)),
      h('dt', {}, 'Updated'), h('dd', {}, when(contact.updated_at)));
  }
  drawFacts();

  const labelSection = h('section', { 'aria-labelledby': 'labels-title' });
  async function drawLabels(message) {
    const [attached, all] = await Promise.all([listAll(`${path}/labels`), labels()]);
    const attachedIds = new Set(attached.map((l) => l.id));
    const candidates = all.filter((l) => l.team_id === contact.team_id && !attachedIds.has(l.id));
    const choice = select(candidates.map((l) => [l.id, l.name]), candidates[0] && candidates[0].id);
    const attach = h('form', { class: 'inline' }, field('Label to attach', choice), h('button', { type: 'submit', disabled: !candidates.length }, 'Attach'));
    const out = h('div', { class: 'messages' }, message);
    attach.addEventListener('submit', (event) => {
      event.preventDefault();
      act(out, async () => {
        await api('POST', `${path}/labels`, { body: { label_id: choice.value }, idempotencyKey: newKey('attach') });
        await drawLabels(okBox('Label attached.'));
      });
    });
    fill(labelSection, h('h2', { id: 'labels-title' }, 'Labels'), out,
      attached.length
        ? h('ul', { class: 'chips', 'aria-label': 'Attached labels' }, attached.map((l) => h('li', {}, chip(l,
          h('button', {
            type: 'button', class: 'chip-remove', 'aria-label': `Detach ${l.name}`,
            onclick: () => act(out, async () => {
              await api('DELETE', `${path}/labels/${l.id}`);
              await drawLabels(okBox(`Label ${l.name} detached.`));
            }),
          }, '×')))))
        : h('p', { class: 'empty' }, 'No labels.'),
      attach);
  }

  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete contact');
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete ${contact.name || contact.phone_number}? This cannot be undone.`))) return;
    await act(status, async () => {
      await api('DELETE', path);
      go(`/a/${account}/contacts`, { deleted: contact.phone_number });
    });
  });

  fill(view,
    h('p', {}, h('a', { href: `#/a/${account}/contacts` }, '← All contacts')),
    h('h1', {}, contact.name || contact.phone_number),
    facts, status, form.el, labelSection,
    h('section', { class: 'danger-zone', 'aria-label': 'Delete' }, remove));
  await drawLabels();
}

export async function newContactView(view, account) {
  const status = h('div', { class: 'messages' });
  const form = contactForm(null, 'Create contact', async (values) => {
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== ''));
    // A key per submission: a corrected form is a new request (the API keeps a refused one's
    // answer under its key), and the button is disabled until the answer comes.
    const created = (await api('POST', `/v1/${account}/contacts`, { body, idempotencyKey: newKey('contact') })).data;
    go(`/a/${account}/contacts/${created.id}`);
  });
  fill(view, h('p', {}, h('a', { href: `#/a/${account}/contacts` }, '← All contacts')),
    h('h1', {}, 'New contact'), status, form.el);
}

/** The contact's editable fields as a form; `submit(values)` is called with checked values. */
function contactForm(contact, action, submit) {
  const c = contact || {};
  const phone = h('input', { name: 'phone_number', type: 'tel', value: c.phone_number || '', required: true, disabled: Boolean(contact), autocomplete: 'off' });
  const name = h('input', { name: 'name', value: c.name || '', maxlength: 256 });
  const email = h('input', { name: 'email', type: 'email', value: c.email || '', maxlength: 254 });
  const teams = (ctx.me.teams || []).map((t) => [t.id, t.name]);
  const team = select([['', 'The account\'s team'], ...teams], c.team_id || '', { name: 'team_id' });
  const metadata = h('textarea', { name: 'metadata', rows: 5, spellcheck: 'false' });
  metadata.value = JSON.stringify(c.metadata || {}, null, 2);
  const messages = h('div', { class: 'messages' });
  const el = h('form', { class: 'contact-form' },
    field('Phone number', phone, contact ? 'The phone number cannot be changed.' : 'E.164, like +6281234567890'),
    field('Name', name), field('Email', email), field('Team', team),
    field('Metadata (JSON object)', metadata, 'Strings, numbers, booleans or null; remove a key to delete it.'),
    messages, h('button', { type: 'submit' }, action));
  const button = el.querySelector('button[type=submit]');
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    let meta;
    try {
      meta = JSON.parse(metadata.value || '{}');
    } catch {
      return fill(messages, errorBox({ message: 'Metadata is not valid JSON.' }));
    }
    const problems = metadataProblems(meta);
    if (problems.length) return fill(messages, errorBox({ message: problems[0].message }));
    const values = { name: name.value.trim() || null, email: email.value.trim() || null, metadata: meta };
    if (!contact) values.phone_number = phone.value.trim();
    // "The account's team" is `null`: on a new contact it is left out, on a PATCH it moves the
    // contact back to its account's team.
    values.team_id = team.value || null;
    button.disabled = true;
    act(messages, () => submit(values)).finally(() => { button.disabled = false; });
  });
  return { el };
}

/** The PATCH body that turns `contact` into `values`: changed fields only, removed metadata keys null. */
function changes(contact, values) {
  const patch = {};
  for (const name of ['name', 'email', 'team_id']) {
    if (name in values && values[name] !== contact[name]) patch[name] = values[name];
  }
  const meta = {};
  const old = contact.metadata || {};
  for (const key of Object.keys(old)) if (!(key in values.metadata)) meta[key] = null;
  for (const [key, value] of Object.entries(values.metadata)) if (old[key] !== value) meta[key] = value;
  if (Object.keys(meta).length) patch.metadata = meta;
  return patch;
}

/** Runs `work`, showing its error (message and request id) in `out`. */
async function act(out, work) {
  try {
    fill(out);
    await work();
  } catch (error) {
    fill(out, errorBox(error));
  }
}
