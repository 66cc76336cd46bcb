// Import a CSV into one account: parse and check it in the browser, preview the first rows and
// every error, then send the good rows through bulk_upsert, 1,000 per call, with progress.

import { keyedWrite, newKey } from './api.js';
import { errorBox, field, fill, h, okBox, progress, select } from './dom.js';
import { contactsFromCsv } from './csv.js';
import { ctx, labels } from './context.js';

const CHUNK = 1000;
// The API refuses bodies over 1 MiB; a chunk of rows with large metadata is cut short of that.
const MAX_BYTES = 900 * 1024;
const PREVIEW = 10;

export async function importView(view, account) {
  const accountInfo = ctx.accounts.find((a) => a.phone_number_id === account);
  const teamLabels = (await labels()).filter((l) => !accountInfo || l.team_id === accountInfo.team_id);
  const file = h('input', { type: 'file', accept: '.csv,text/csv', name: 'file' });
  const label = select([['', 'No label'], ...teamLabels.map((l) => [l.id, l.name])], '', { name: 'label_id' });
  const preview = h('section', { 'aria-label': 'Preview', class: 'preview' });
  const outcome = h('div', { class: 'outcome' });
  fill(view, h('h1', {}, 'Import contacts'),
    h('p', {}, 'A CSV with a header row: ', h('code', {}, 'phone_number'), ' (required), ', h('code', {}, 'name'), ', ',
      h('code', {}, 'email'), ', ', h('code', {}, 'team_id'), '; every other column is kept in the contact\'s metadata. ',
      'A contact whose phone number is already on the account is updated; empty cells change nothing.'),
    h('form', { class: 'inline' }, field('CSV file', file), field('Also attach label', label)),
    preview, outcome);

  file.addEventListener('change', async () => {
    fill(outcome);
    const chosen = file.files[0];
    if (!chosen) return fill(preview);
    const parsed = contactsFromCsv(await chosen.text());
    drawPreview(parsed);
  });

  function drawPreview({ header, rows, errors }) {
    const columns = header.length ? header : ['phone_number'];
    const run = h('button', { type: 'button', disabled: rows.length === 0 },
      `Import ${rows.length.toLocaleString()} valid row${rows.length === 1 ? '' : 's'}`);
    run.addEventListener('click', () => upload(rows, run));
    fill(preview,
      h('h2', {}, 'Preview'),
      h('p', { role: 'status' }, `${(rows.length + errors.length).toLocaleString()} rows: ${rows.length.toLocaleString()} valid, `
        + `${errors.length.toLocaleString()} with errors${errors.length ? ' (they will be skipped)' : ''}.`),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'preview-rows' },
        h('caption', { class: 'visually-hidden' }, `First ${PREVIEW} valid rows`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Line'), columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.slice(0, PREVIEW).map(({ line, contact }) => h('tr', {}, h('td', {}, line),
          columns.map((c) => h('td', {}, contact[c] ?? (contact.metadata && contact.metadata[c]) ?? ''))))))) : null,
      errors.length ? h('div', { class: 'alert', role: 'alert' }, h('strong', {}, 'Rows with errors'),
        h('ul', { class: 'errors' }, errors.slice(0, 50).map((e) => h('li', {}, `Line ${e.line}: ${e.message}`))),
        errors.length > 50 ? h('p', {}, `…and ${errors.length - 50} more.`) : null) : null,
      run);
  }

  async function upload(rows, run) {
    run.disabled = true;
    const bar = progress('Import');
    fill(outcome, bar.el);
    const key = newKey('import');
    const total = { created: 0, updated: 0, unchanged: 0 };
    const refused = [];
    let done = 0;
    bar.set(0, rows.length);
    try {
      for (const [n, chunk] of chunks(rows).entries()) {
        const answer = await send(chunk, `${key}-${n}`, refused);
        if (answer) for (const name of Object.keys(total)) total[name] += answer.data[name];
        done += chunk.length;
        bar.set(done, rows.length, `Imported ${done.toLocaleString()} of ${rows.length.toLocaleString()} rows`);
      }
      outcome.append(okBox(`Done: ${total.created.toLocaleString()} created, ${total.updated.toLocaleString()} updated, `
        + `${total.unchanged.toLocaleString()} unchanged, ${refused.length.toLocaleString()} refused.`));
    } catch (error) {
      outcome.append(h('p', {}, `${done.toLocaleString()} rows were imported before this error:`), errorBox(error));
    } finally {
      if (refused.length) {
        outcome.append(h('div', { class: 'alert', role: 'alert' }, h('strong', {}, 'Rows the server refused'),
          h('ul', { class: 'errors refused' }, refused.map((e) => h('li', {}, `Line ${e.line}: ${e.message}`)))));
      }
      run.disabled = false;
    }
  }

  /**
   * One chunk through bulk_upsert. A row the server refuses (it names the row, `contacts[3].team_id`)
   * goes to `refused` and the chunk is sent again without it, under a key of its own, so that one
   * bad row does not stop the others. Resolves to the answer, or null when every row was refused.
   */
  async function send(chunk, key, refused) {
    let rows = chunk;
    for (let attempt = 0; rows.length; attempt++) {
      const body = { contacts: rows.map((r) => r.contact) };
      if (label.value) body.label_id = label.value;
      try {
        return await keyedWrite('POST', `/v1/${account}/contacts/bulk_upsert`, body, `${key}-${attempt}`);
      } catch (error) {
        const index = rowIndex(error);
        if (index === null || index >= rows.length) throw error;
        refused.push({ line: rows[index].line, message: error.message });
        rows = rows.filter((_, i) => i !== index);
      }
    }
    return null;
  }
}

/** `contacts[12].email` → 12; null when the error names no row. */
function rowIndex(error) {
  const match = /^contacts\[(\d+)\]/.exec(error.param || '');
  return match ? Number(match[1]) : null;
}

/** Rows in calls of at most CHUNK rows and MAX_BYTES of JSON. */
function chunks(rows) {
  const out = [];
  let current = [];
  let bytes = 0;
  for (const row of rows) {
    const size = new TextEncoder().encode(JSON.stringify(row.contact)).length + 1;
    if (current.length === CHUNK || (current.length && bytes + size > MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}
