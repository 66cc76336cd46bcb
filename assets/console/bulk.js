// Bulk label of any number of contacts: 1,000 ids per bulk_label call (the API's limit), each
// call with its own Idempotency-Key so a retry after a 429 or a lost answer applies it once.

import { keyedWrite, listAll, newKey } from './api.js';

export const CHUNK = 1000;

/**
 * Every id matching a list filter. Collected in full before anything changes: labelling moves
 * contacts in and out of a filtered list and bumps `updated_at`, so paging while writing would
 * skip or repeat some.
 */
export function matchingIds(account, filters, onCount) {
  return listAll(`/v1/${account}/contacts`, filters, onCount).then((contacts) => contacts.map((c) => c.id));
}

/** Attaches or detaches `labelId` on `ids`, chunk by chunk; resolves to the summed counts. */
export async function bulkLabel(account, ids, labelId, operation, onProgress) {
  const run = newKey('bulk');
  const total = { applied: 0, skipped_cross_org: 0, skipped_team_mismatch: 0 };
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    const body = { contact_ids: chunk, label_id: labelId, operation };
    const answer = await keyedWrite('POST', `/v1/${account}/contacts/bulk_label`, body, `${run}-${start / CHUNK}`);
    for (const name of Object.keys(total)) total[name] += answer.data[name];
    onProgress(Math.min(start + CHUNK, ids.length), ids.length);
  }
  return total;
}
