// The organisation's labels as coloured chips: create, rename, recolour, and delete after
// counting the contacts that carry the label.

import { api, listAll, newKey } from './api.js';
import { COLORS, chip, confirmDialog, errorBox, field, fill, h, okBox, progress, select } from './dom.js';
import { ctx, labels } from './context.js';

export async function labelsView(view, message) {
  const all = await labels(true);
  const teams = ctx.me.teams || [];
  const teamName = (id) => (teams.find((t) => t.id === id) || { name: id }).name;
  const status = h('div', { class: 'messages' }, message);

  const name = h('input', { name: 'name', required: true, maxlength: 50 });
  const color = select(COLORS.map((c) => [c, c]), 'gray', { name: 'color' });
  const sample = h('span', { class: 'sample', 'aria-live': 'polite' });
  const drawSample = () => fill(sample, chip({ name: name.value.trim() || 'New label', color: color.value }));
  color.addEventListener('change', drawSample);
  name.addEventListener('input', drawSample);
  drawSample();
  const team = select(teams.map((t) => [t.id, t.name]), teams[0] && teams[0].id, { name: 'team_id' });
  const create = h('form', { class: 'inline', 'aria-labelledby': 'new-label' },
    field('Name', name), field('Colour', color), teams.length > 1 ? field('Team', team) : null,
    sample, h('button', { type: 'submit' }, 'Create label'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value, color: color.value };
    if (teams.length > 1) body.team_id = team.value;
    try {
      const made = (await api('POST', '/v1/labels', { body, idempotencyKey: newKey('label') })).data;
      await labelsView(view, okBox(`Label ${made.name} created.`));
    } catch (error) {
      fill(status, errorBox(error));
    }
  });

  const rows = all.map((label) => {
    const rename = h('input', { value: label.name, maxlength: 50, 'aria-label': `Name of ${label.name}` });
    const recolour = select(COLORS.map((c) => [c, c]), label.color, { 'aria-label': `Colour of ${label.name}` });
    const out = h('div', { class: 'messages' });
    const save = h('form', { class: 'inline label-edit' }, rename, recolour, h('button', { type: 'submit', class: 'secondary' }, 'Save'));
    save.addEventListener('submit', async (event) => {
      event.preventDefault();
      const patch = {};
      if (rename.value.trim() !== label.name) patch.name = rename.value;
      if (recolour.value !== label.color) patch.color = recolour.value;
      if (!Object.keys(patch).length) return fill(out, okBox('Nothing changed.'));
      try {
        const saved = (await api('PATCH', `/v1/labels/${label.id}`, { body: patch })).data;
        await labelsView(view, okBox(`Label ${saved.name} saved.`));
      } catch (error) {
        fill(out, errorBox(error));
      }
    });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', async () => {
      const bar = progress(`Counting contacts with ${label.name}`);
      fill(out, bar.el);
      try {
        const count = await carrying(label, (n) => bar.set(0, 1, `Counting contacts with ${label.name}: ${n.toLocaleString()}`));
        fill(out);
        const question = `Delete the label ${label.name}? It is on ${count.toLocaleString()} contact${count === 1 ? '' : 's'}; they keep everything else.`;
        if (!(await confirmDialog(question))) return;
        await api('DELETE', `/v1/labels/${label.id}`);
        await labelsView(view, okBox(`Label ${label.name} deleted.`));
      } catch (error) {
        fill(out, errorBox(error));
      }
    });
    return h('li', { class: 'label-row' }, chip(label),
      teams.length > 1 ? h('span', { class: 'hint' }, teamName(label.team_id)) : null, save, remove, out);
  });

  fill(view, h('h1', {}, 'Labels'), status,
    all.length ? h('ul', { class: 'label-list', 'aria-label': 'Labels' }, rows) : h('p', { class: 'empty' }, 'No labels yet.'),
    h('h2', { id: 'new-label' }, 'New label'), create,
    h('h2', {}, 'Colours'),
    h('ul', { class: 'chips', 'aria-label': 'The 13 label colours' }, COLORS.map((c) => h('li', {}, chip({ name: c, color: c })))));
}

/** How many contacts carry `label`, over every account of the organisation. */
async function carrying(label, onCount) {
  let total = 0;
  for (const account of ctx.accounts) {
    const before = total;
    const found = await listAll(`/v1/${account.phone_number_id}/contacts`, { label_id: label.id }, (n) => onCount(before + n));
    total += found.length;
  }
  return total;
}
