// Signing in and out, the session cookie, the security headers and the CSRF guard.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, baseUrl, launch, open, orgs, screenshot, serverLog, signIn } from './support.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('a wrong key is refused with the API message and request id, and appears nowhere', async () => {
  const page = await open(browser, { expectedStatuses: [401] });
  const response = await page.goto(`${baseUrl}/console`);
  assert.match(response.headers()['content-security-policy'], /default-src 'self'/);
  await screenshot(page, 'signin');
  const wrong = 'kdv_live_AAAAAAAAAAAAAAAAAAAAAAAA';
  await page.getByLabel('API key').fill(wrong);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /The API key is invalid or has been revoked\.\s+Request id: req_[0-9A-Z]{26}/);
  assert.ok(!page.url().includes(wrong), 'the key is not in the URL');
  assert.ok(!(await page.content()).includes(wrong), 'the key is not in the page');
  assert.deepEqual(await page.context().cookies(), [], 'no session for a wrong key');
  assertNoProblems(page);
  await page.context().close();
});

test('the sign-in page works at 375 px', async () => {
  const page = await open(browser, { width: 375 });
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('API key').waitFor();
  await screenshot(page, 'signin');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
  assertNoProblems(page);
  await page.context().close();
});

test('signing in keeps the key in an HttpOnly SameSite=Strict cookie only, and signing out forgets it', async () => {
  const page = await open(browser);
  const headers = [];
  page.on('response', (r) => { if (r.url().includes('/console')) headers.push(r.headers()); });
  await signIn(page, orgs.a);
  const [cookie] = await page.context().cookies();
  assert.equal(cookie.name, 'kirim_console');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/console');
  const secret = orgs.a.key.replace('kdv_live_', '');
  assert.ok(!cookie.value.includes(secret), 'the cookie holds the key sealed, not in clear');
  assert.ok(!(await page.content()).includes(secret), 'the key is not in the page');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the cookie');
  assert.ok(!page.url().includes(secret));
  for (const h of headers) {
    assert.match(h['content-security-policy'], /script-src 'self';/);
    assert.doesNotMatch(h['content-security-policy'], /unsafe-inline|unsafe-eval/);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['referrer-policy'], 'no-referrer');
  }
  // The console's own calls go through the API: its headers come back.
  const me = await page.evaluate(async () => {
    const r = await fetch('/console/api/v1/me', { headers: { 'X-Kirim-Console': '1' } });
    return { status: r.status, body: await r.json(), limit: r.headers.get('X-RateLimit-Limit') };
  });
  assert.equal(me.status, 200);
  assert.equal(me.body.data.organization.id, orgs.a.id);
  assert.ok(me.limit, 'rate-limit headers of the API');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.deepEqual(await page.context().cookies(), []);
  const afterOut = await page.evaluate(async () => (await fetch('/console/api/v1/me')).status);
  assert.equal(afterOut, 401);
  assert.ok(!serverLog().includes(secret), 'the key is in no log line');
  await page.context().close();
});

test('changes without the console header or from another origin are refused', async () => {
  const page = await open(browser, { expectedStatuses: [403] });
  await signIn(page, orgs.a);
  const noHeader = await page.evaluate(async () => {
    const r = await fetch('/console/api/v1/labels', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(noHeader.status, 403);
  assert.equal(noHeader.body.error.code, 'console_request_refused');
  assert.match(noHeader.body.error.request_id, /^req_/);
  // Outside a browser an attacker can forge headers but has no cookie: the session is the
  // browser's alone. With a stolen cookie and a foreign Origin, still refused.
  const [cookie] = await page.context().cookies();
  const forged = await fetch(`${baseUrl}/console/api/v1/labels`, {
    method: 'POST',
    headers: { Cookie: `kirim_console=${cookie.value}`, 'X-Kirim-Console': '1', Origin: 'http://evil.example', 'Content-Type': 'application/json' },
    body: '{"name":"x"}',
  });
  assert.equal(forged.status, 403);
  const labels = await fetch(`${baseUrl}/v1/labels`, { headers: { Authorization: `Bearer ${orgs.a.key}` } }).then((r) => r.json());
  assert.ok(!labels.data.some((l) => l.name === 'x'), 'nothing was created');
  const framed = await fetch(`${baseUrl}/console/assets/app.js`);
  assert.equal(framed.headers.get('x-frame-options'), 'DENY');
  assertNoProblems(page);
  await page.context().close();
});
