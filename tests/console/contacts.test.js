// The contacts table (search, label filter, paging) and a contact's page (create, edit, labels,
// delete), each change checked through the API.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, baseUrl, launch, makeContacts, open, orgs, screenshot, signIn } from './support.js';

const org = orgs.a;
const account = org.phone_number_id;
let browser;
let vip;

before(async () => {
  browser = await launch();
  vip = (await apiCall(org, 'POST', '/v1/labels', { name: 'VIP', color: 'amber' })).body.data;
  await apiCall(org, 'POST', '/v1/labels', { name: 'Churn risk', color: 'red' });
  const ids = await makeContacts(org, 'Filter Person', 3, 81100000000);
  for (const id of [ids[0], ids[2]]) {
    const r = await apiCall(org, 'POST', `/v1/${account}/contacts/${id}/labels`, { label_id: vip.id });
    assert.equal(r.status, 200);
  }
  // More than a page (50) of contacts, to page through.
  await makeContacts(org, 'Paging Person', 60, 81200000000);
});
after(async () => { await browser.close(); });

const rows = (page) => page.locator('table.contacts tbody tr');

test('search and label filter narrow the table, and pages follow next_cursor', async () => {
  for (const width of [1440, 375]) {
    const page = await open(browser, { width });
    await signIn(page, org);
    await rows(page).first().waitFor();
    await page.getByLabel('Search name or email').fill('filter person');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 3);
    assert.match(page.url(), /search=filter\+person/);
    await page.getByLabel('Filter by label').selectOption({ label: 'VIP' });
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 2);
    const names = await rows(page).locator('td:nth-child(2)').allTextContents();
    assert.deepEqual(names.sort(), ['Filter Person 0', 'Filter Person 2']);
    await screenshot(page, 'contacts');

    await page.goto(`${baseUrl}/console#/a/${account}/contacts?search=Paging`);
    await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 50);
    const first = await rows(page).first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 10);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 50);
    assert.equal(await rows(page).first().textContent(), first);
    assertNoProblems(page);
    await page.context().close();
  }
});

test('updated since shows only the contacts changed after that time, oldest first', async () => {
  await makeContacts(org, 'Before Person', 2, 81400000000);
  await new Promise((done) => setTimeout(done, 1500));
  const since = Date.now();
  await new Promise((done) => setTimeout(done, 1000));
  // One after the other, so their order is known.
  await makeContacts(org, 'After Person A', 1, 81500000000);
  await makeContacts(org, 'After Person B', 1, 81500000001);
  const page = await open(browser);
  await signIn(page, org);
  await rows(page).first().waitFor();
  // The input takes local time to the second, as a person would type it.
  const local = await page.evaluate((ms) => {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }, since);
  await page.getByLabel('Search name or email').fill('person');
  await page.getByLabel('Updated since').fill(local);
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.waitForFunction(() => location.hash.includes('updated_since='));
  await page.waitForFunction(() => document.querySelectorAll('table.contacts tbody tr').length === 2);
  const names = await rows(page).locator('td:nth-child(2)').allTextContents();
  assert.deepEqual(names, ['After Person A 0', 'After Person B 0']);
  assertNoProblems(page);
  await page.context().close();
});

test('a contact is created, edited, labelled, unlabelled and deleted', async () => {
  const page = await open(browser, { expectedStatuses: [400] });
  await signIn(page, org);
  await page.getByRole('link', { name: 'New contact' }).click();
  // A refused form, corrected, is a new request (not a replay of the refusal).
  await page.getByLabel('Phone number').fill('081300000001');
  await page.getByRole('button', { name: 'Create contact' }).click();
  const refused = page.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /phone_number.*Request id: req_/);
  await page.getByLabel('Phone number').fill('+6281300000001');
  await page.getByLabel('Name').fill('Dewi');
  await page.getByLabel('Email').fill('dewi@example.com');
  await page.getByLabel('Metadata (JSON object)').fill('{"tier": "gold", "city": "Jakarta"}');
  await page.getByRole('button', { name: 'Create contact' }).click();
  await page.getByRole('heading', { name: 'Dewi' }).waitFor();
  const id = decodeURIComponent(page.url().split('/').pop());
  let stored = (await apiCall(org, 'GET', `/v1/${account}/contacts/${id}`)).body.data;
  assert.equal(stored.phone_number, '+6281300000001');
  assert.deepEqual(stored.metadata, { tier: 'gold', city: 'Jakarta' });

  // A value the API refuses: its message and request id are shown.
  await page.getByLabel('Email').fill('dewi@nowhere');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /email.*valid email address.*Request id: req_/);

  await page.getByLabel('Name').fill('Dewi Lestari');
  await page.getByLabel('Email').fill('dewi@example.com');
  await page.getByLabel('Metadata (JSON object)').fill('{"city": "Bandung"}');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Saved.').waitFor();
  stored = (await apiCall(org, 'GET', `/v1/${account}/contacts/${id}`)).body.data;
  assert.equal(stored.name, 'Dewi Lestari');
  assert.deepEqual(stored.metadata, { city: 'Bandung' }, 'a removed key is removed');

  await page.getByLabel('Label to attach').selectOption({ label: 'VIP' });
  await page.getByRole('button', { name: 'Attach' }).click();
  await page.getByRole('button', { name: 'Detach VIP' }).waitFor();
  let labels = (await apiCall(org, 'GET', `/v1/${account}/contacts/${id}/labels`)).body.data;
  assert.deepEqual(labels.map((l) => l.id), [vip.id]);
  await screenshot(page, 'contact');
  await page.getByRole('button', { name: 'Detach VIP' }).click();
  await page.getByText('Label VIP detached.').waitFor();
  labels = (await apiCall(org, 'GET', `/v1/${account}/contacts/${id}/labels`)).body.data;
  assert.deepEqual(labels, []);

  await page.getByRole('button', { name: 'Delete contact' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await apiCall(org, 'GET', `/v1/${account}/contacts/${id}`)).status, 200, 'cancel keeps it');
  await page.getByRole('button', { name: 'Delete contact' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  assert.equal((await apiCall(org, 'GET', `/v1/${account}/contacts/${id}`)).status, 404);
  assertNoProblems(page);
  await page.context().close();
});

test('the contact page works at 375 px', async () => {
  const page = await open(browser, { width: 375 });
  await signIn(page, org);
  await rows(page).first().locator('a').click();
  await page.getByRole('heading', { name: 'Labels' }).waitFor();
  await screenshot(page, 'contact');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
  assertNoProblems(page);
  await page.context().close();
});
