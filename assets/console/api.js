// Calls to the public API through the console's proxy (/console/api/v1/…). The session cookie
// travels by itself; the page never holds the key.

class ApiError extends Error {
  constructor(status, body, requestId) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || null;
    this.param = error.param || null;
    this.requestId = error.request_id || requestId || null;
  }
}

/** One API call; resolves to the parsed body, or rejects with an ApiError. */
export async function api(method, path, { body, idempotencyKey } = {}) {
  const headers = { 'X-Kirim-Console': '1', Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response;
  try {
    response = await fetch('/console/api' + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, { error: { message: 'The server could not be reached.' } });
  }
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, json, response.headers.get('X-Request-Id'));
    error.retryAfter = Number(response.headers.get('Retry-After')) || 0;
    throw error;
  }
  return json;
}

/**
 * `call()` again after a 429 (waiting as Retry-After says), a 409 idempotency_in_progress, a
 * 503 or a lost answer. Only for calls that may be repeated: reads, and writes that carry an
 * Idempotency-Key, which take effect once however often they are sent.
 */
async function retrying(call, attempts = 6) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const transient = [0, 429, 503].includes(error.status) || error.code === 'idempotency_in_progress';
      if (!transient || attempt >= attempts) throw error;
      const wait = error.retryAfter ? error.retryAfter * 1000 : 500 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** A keyed write, sent again (same key) after a transient failure. */
export function keyedWrite(method, path, body, idempotencyKey) {
  return retrying(() => api(method, path, { body, idempotencyKey }));
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Every item of a list, page after page (`onPage` hears how many have been read so far). */
export async function listAll(path, params = {}, onPage = () => {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await retrying(() => api('GET', path + query({ ...params, limit: 100, cursor })));
    items.push(...page.data);
    onPage(items.length);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return items;
}

/** A fresh Idempotency-Key. */
export function newKey(purpose) {
  return `console-${purpose}-${crypto.randomUUID()}`;
}
