// CSV import rules, the same as `kirim contacts import`: a header row; `phone_number` required;
// `name`, `email` and `team_id` are fields; `metadata` holds a JSON object (as `kirim contacts
// export` writes it); `id`, `created_at` and `updated_at` (also written by export) are ignored;
// every other column goes into `metadata` as a string. Those names match whatever their case.
// An empty cell, or one of spaces only, leaves that field out (it never clears a stored value);
// spaces around a phone number, an email or a team id are dropped, a name or a metadata value is
// kept as written.

import { contactProblems } from './rules.js';

const FIELDS = ['phone_number', 'name', 'email', 'team_id'];
const IGNORED = ['id', 'created_at', 'updated_at'];
const TRIMMED = ['phone_number', 'email', 'team_id'];

/** A header cell as a column name: a known column in lower case, any other as written. */
function columnName(cell) {
  const name = cell.trim();
  const lower = name.toLowerCase();
  return [...FIELDS, 'metadata', ...IGNORED].includes(lower) ? lower : name;
}

/** RFC 4180 records: `[{line, cells}]`, `line` being where the record starts (1-based). */
function parseCsv(text) {
  const records = [];
  let cells = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false;
      else { if (c === '\n') line++; cell += c; }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { cells.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: start, cells });
      cells = []; cell = ''; line++; start = line;
    } else cell += c;
  }
  if (cell !== '' || cells.length) { cells.push(cell); records.push({ line: start, cells }); }
  // Blank lines are not rows.
  return records.filter((r) => !(r.cells.length === 1 && r.cells[0].trim() === ''));
}

/**
 * The rows of a CSV as contacts to upsert: `{header, rows: [{line, contact}], errors: [{line,
 * message}]}`. A file-level problem (no header, no phone_number column) is the only error.
 */
export function contactsFromCsv(text) {
  const records = parseCsv(text);
  if (records.length === 0) return { header: [], rows: [], errors: [{ line: 1, message: 'The file is empty.' }] };
  const header = records[0].cells.map(columnName);
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (!header.includes('phone_number')) return { header, rows: [], errors: [{ line: 1, message: 'The header row has no phone_number column.' }] };
  if (duplicate !== undefined) return { header, rows: [], errors: [{ line: 1, message: `The column ${duplicate || '(empty)'} appears twice.` }] };
  const rows = [];
  const errors = [];
  const seen = new Map();
  for (const { line, cells } of records.slice(1)) {
    if (cells.length !== header.length) {
      errors.push({ line, message: `${cells.length} cells where the header has ${header.length}.` });
      continue;
    }
    const contact = {};
    const problems = [];
    let metadata = {};
    const column = header.indexOf('metadata');
    if (column >= 0 && cells[column].trim() !== '') {
      const stored = parseJsonObject(cells[column]);
      if (stored) metadata = stored;
      else problems.push({ message: 'The metadata column must hold a JSON object.' });
    }
    header.forEach((name, i) => {
      if (name === '' || name === 'metadata' || IGNORED.includes(name)) return;
      const cell = cells[i];
      if (cell.trim() === '') return;
      const value = TRIMMED.includes(name) ? cell.trim() : cell;
      if (FIELDS.includes(name)) contact[name] = value;
      else metadata[name] = value;
    });
    for (const key of Object.keys(metadata)) if (metadata[key] === null) delete metadata[key];
    if (Object.keys(metadata).length) contact.metadata = metadata;
    problems.push(...contactProblems(contact));
    if (contact.phone_number && seen.has(contact.phone_number)) {
      problems.push({ message: `phone_number ${contact.phone_number} is already on line ${seen.get(contact.phone_number)}.` });
    }
    if (problems.length) {
      errors.push({ line, message: problems.map((p) => p.message).join(' ') });
      continue;
    }
    seen.set(contact.phone_number, line);
    rows.push({ line, contact });
  }
  return { header, rows, errors };
}

/** The object a cell's JSON holds, or null if it holds anything else. */
function parseJsonObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
