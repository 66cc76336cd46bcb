// The contract's field rules for contacts (API.md §4), checked in the browser before sending so
// an import shows every bad row at once. The API checks them again and has the last word.

const E164 = /^\+[1-9]\d{6,14}$/;
const TEAM = /^[a-z0-9]{12}$/;

/** Problems with one contact (`[{field, message}]`; empty when it is fine). */
export function contactProblems(contact) {
  const problems = [];
  const bad = (field, message) => problems.push({ field, message });
  const phone = contact.phone_number;
  if (phone === undefined || phone === null || phone === '') bad('phone_number', 'phone_number is required.');
  else if (!E164.test(phone)) bad('phone_number', `"${phone}" is not an E.164 number (like +6281234567890).`);
  if (typeof contact.name === 'string' && [...contact.name].length > 256) bad('name', 'name is longer than 256 characters.');
  if (typeof contact.email === 'string') {
    if (contact.email.length > 254) bad('email', 'email is longer than 254 characters.');
    else if (!isEmail(contact.email)) bad('email', `"${contact.email}" is not an email address.`);
  }
  if (typeof contact.team_id === 'string' && !TEAM.test(contact.team_id)) bad('team_id', `"${contact.team_id}" is not a team id.`);
  if (contact.metadata) problems.push(...metadataProblems(contact.metadata));
  return problems;
}

/** Problems with a metadata object. */
export function metadataProblems(metadata) {
  const problems = [];
  const bad = (message) => problems.push({ field: 'metadata', message });
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    bad('metadata must be an object.');
    return problems;
  }
  const keys = Object.keys(metadata);
  if (keys.length > 64) bad('metadata has more than 64 keys.');
  for (const key of keys) {
    const value = metadata[key];
    if (key.length === 0 || [...key].length > 40) bad(`metadata key "${key}" must be 1 to 40 characters.`);
    if (typeof value === 'string' && [...value].length > 500) bad(`metadata "${key}" is longer than 500 characters.`);
    if (value !== null && typeof value === 'object') bad(`metadata "${key}" must be a string, number, boolean or null.`);
  }
  if (new TextEncoder().encode(JSON.stringify(metadata)).length > 16384) bad('metadata is larger than 16 KiB.');
  return problems;
}

/** The API's pragmatic address check (src/validate.rs `email`), rule for rule. */
function isEmail(text) {
  const at = text.indexOf('@');
  if (at < 0) return false;
  const local = text.slice(0, at);
  const labels = text.slice(at + 1).split('.');
  const localOk = local.length > 0 && local.length <= 64 && !local.startsWith('.') && !local.endsWith('.')
    && !local.includes('..') && ![...local].some((c) => /\s|[\x00-\x1f\x7f]/.test(c) || '@<>()[]\\,;:"'.includes(c));
  const domainOk = labels.length >= 2 && labels.every((l) => l.length > 0 && l.length <= 63
    && !l.startsWith('-') && !l.endsWith('-') && /^[\p{L}\p{N}-]+$/u.test(l));
  return localOk && domainOk;
}
