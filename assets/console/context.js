// What every view shares: the signed-in organisation, its accounts and labels, and navigation.

import { listAll } from './api.js';

/** The organisation (`me`), its accounts, and its labels once read. */
export const ctx = { me: null, accounts: [], labels: null };

/** The organisation's labels (read once, again when `refresh` after a view changed them). */
export async function labels(refresh = false) {
  if (!ctx.labels || refresh) ctx.labels = await listAll('/v1/labels');
  return ctx.labels;
}

/** Navigates to `#path` with `params` as its query (empty values left out); the same address again redraws it. */
export function go(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));
  const text = search.toString();
  const target = `#${path}${text ? `?${text}` : ''}`;
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}
