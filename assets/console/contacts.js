// The contacts of one account: search, label filter, `updated since`, keyset paging, and bulk
// label over the selected rows or over everything the filter matches.

import { api, query } from './api.js';
import { errorBox, field, fill, h, okBox, progress, select, when } from './dom.js';
import { bulkLabel, matchingIds } from './bulk.js';
import { go, labels } from './context.js';

const PAGE = 50;

export async function contactsView(view, account, params) {
  const filters = {
    search: params.get('search') || '',
    label_id: params.get('label_id') || '',
    updated_since: params.get('updated_since') || '',
  };
  const allLabels = await labels();
  const labelOptions = [['', 'Any label'], ...allLabels.map((l) => [l.id, l.name])];

  const search = h('input', { type: 'search', name: 'search', value: filters.search, maxlength: 200 });
  const labelFilter = select(labelOptions, filters.label_id, { name: 'label_id' });
  const since = h('input', { type: 'datetime-local', name: 'updated_since', step: 1, value: toLocalInput(filters.updated_since) });
  const filterForm = h('form', { role: 'search', class: 'filters', 'aria-label': 'Filter contacts' },
    field('Search name or email', search),
    field('Filter by label', labelFilter),
    field('Updated since', since),
    h('button', { type: 'submit' }, 'Apply'));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const stamp = since.value ? new Date(since.value).toISOString() : '';
    go(`/a/${account}/contacts`, { search: search.value.trim(), label_id: labelFilter.value, updated_since: stamp });
  });

  const status = h('div', { class: 'messages' });
  const notice = h('div', {}, params.get('deleted') ? okBox(`Contact ${params.get('deleted')} deleted.`) : null);
  const table = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  const bulk = h('section', { class: 'bulk', 'aria-labelledby': 'bulk-title' });
  fill(view,
    h('div', { class: 'title-row' }, h('h1', {}, 'Contacts'),
      h('a', { class: 'button', href: `#/a/${account}/contacts/new` }, 'New contact')),
    notice, filterForm, status, table, pager, bulk);

  // Keyset paging: the cursors of the pages before this one, to go back.
  const trail = [];
  let cursor = null;
  let rows = [];
  const selected = new Set();

  async function load() {
    fill(status);
    let page;
    try {
      page = await api('GET', `/v1/${account}/contacts${query({ ...filters, limit: PAGE, cursor })}`);
    } catch (error) {
      fill(status, errorBox(error));
      fill(table);
      return;
    }
    rows = page.data;
    selected.clear();
    drawTable();
    fill(pager,
      h('button', { type: 'button', class: 'secondary', disabled: trail.length === 0, onclick: () => { cursor = trail.pop(); load(); } }, 'Previous page'),
      h('span', { class: 'hint' }, `Page ${trail.length + 1}`),
      h('button', { type: 'button', class: 'secondary', disabled: !page.has_more, onclick: () => { trail.push(cursor); cursor = page.next_cursor; load(); } }, 'Next page'));
  }

  function drawTable() {
    if (rows.length === 0) {
      fill(table, h('p', { class: 'empty' }, 'No contacts match.'));
      return;
    }
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select every contact on this page' });
    all.addEventListener('change', () => {
      for (const row of rows) (all.checked ? selected.add(row.id) : selected.delete(row.id));
      drawTable();
    });
    all.checked = rows.every((r) => selected.has(r.id));
    fill(table, h('table', { class: 'contacts' },
      h('caption', { class: 'visually-hidden' }, 'Contacts'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ['Name', 'Phone', 'Email', 'Updated'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((c) => {
        const box = h('input', { type: 'checkbox', checked: selected.has(c.id), 'aria-label': `Select ${c.name || c.phone_number}` });
        box.addEventListener('change', () => { (box.checked ? selected.add(c.id) : selected.delete(c.id)); drawBulk(); });
        return h('tr', {},
          h('td', {}, box),
          h('td', {}, h('a', { href: `#/a/${account}/contacts/${c.id}` }, c.name || '(no name)')),
          h('td', { class: 'mono' }, c.phone_number),
          h('td', {}, c.email || ''),
          h('td', {}, when(c.updated_at)));
      }))));
    drawBulk();
  }

  // The bulk form is drawn once; selecting rows only updates its count.
  const labelChoice = select(allLabels.map((l) => [l.id, `${l.name} (${l.color})`]), filters.label_id || (allLabels[0] && allLabels[0].id), { name: 'bulk_label' });
  const scope = select([['selected', ''], ['all', 'All contacts that match the filter']], 'all', { name: 'scope' });
  const operation = select([['attach', 'Attach'], ['detach', 'Detach']], 'attach', { name: 'operation' });
  const outcome = h('div', { class: 'outcome' });
  const run = h('button', { type: 'submit' }, 'Apply to contacts');
  const bulkForm = h('form', { class: 'bulk-form' },
    field('Operation', operation), field('Label to apply', labelChoice), field('Contacts', scope), run);
  bulkForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!labelChoice.value) return;
    run.disabled = true;
    const bar = progress('Bulk label');
    fill(outcome, bar.el);
    try {
      let ids = [...selected];
      if (scope.value === 'all') {
        ids = await matchingIds(account, filters, (n) => bar.set(0, 1, `Finding matching contacts: ${n.toLocaleString()}`));
      }
      const total = await bulkLabel(account, ids, labelChoice.value, operation.value, (done, all) =>
        bar.set(done, all, `Labelled ${done.toLocaleString()} of ${all.toLocaleString()} contacts`));
      bar.set(ids.length, ids.length, `Labelled ${ids.length.toLocaleString()} of ${ids.length.toLocaleString()} contacts`);
      outcome.append(okBox(
        `Done: ${total.applied.toLocaleString()} applied, ${total.skipped_cross_org.toLocaleString()} skipped (not on this account), `
        + `${total.skipped_team_mismatch.toLocaleString()} skipped (another team).`));
      // The page as it is now: a detach under a label filter takes rows off it, and every
      // changed contact has a new Updated time.
      await load();
    } catch (error) {
      outcome.append(errorBox(error));
    } finally {
      run.disabled = false;
    }
  });
  fill(bulk, h('h2', { id: 'bulk-title' }, 'Bulk label'),
    allLabels.length ? bulkForm : h('p', {}, 'Create a label first.'), outcome);

  function drawBulk() {
    const option = scope.options[0];
    option.textContent = `The ${selected.size} selected on this page`;
    option.disabled = selected.size === 0;
    scope.value = selected.size ? 'selected' : 'all';
  }

  await load();
}

/** An RFC 3339 instant as the value of a datetime-local input (local time, seconds). */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
