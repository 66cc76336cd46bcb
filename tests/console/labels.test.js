// Labels as coloured chips: create, rename, recolour, and delete after seeing how many contacts
// carry the label.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, launch, makeContacts, open, orgs, screenshot, signIn } from './support.js';

const org = orgs.a;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('a label is created, renamed, recoloured, and deleted with its contact count shown', async () => {
  const page = await open(browser, { expectedStatuses: [400] });
  await signIn(page, org);
  await page.getByRole('link', { name: 'Labels' }).click();
  await page.getByRole('heading', { name: 'New label' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Gold');
  await page.getByLabel('Colour', { exact: true }).selectOption('emerald');
  await page.getByRole('button', { name: 'Create label' }).click();
  await page.getByText('Label Gold created.').waitFor();
  const chip = page.locator('.label-list .chip', { hasText: 'Gold' });
  assert.match(await chip.getAttribute('class'), /chip-emerald/);
  const gold = (await apiCall(org, 'GET', '/v1/labels?limit=100')).body.data.find((l) => l.name === 'Gold');
  assert.equal(gold.color, 'emerald');

  // The same name again: the API's error, with its request id.
  await page.getByLabel('Name', { exact: true }).fill('gold');
  await page.getByRole('button', { name: 'Create label' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Request id: req_/);

  await page.getByLabel('Name of Gold').fill('Gold tier');
  await page.getByLabel('Colour of Gold').selectOption('violet');
  await page.locator('.label-row', { has: page.getByLabel('Name of Gold') }).getByRole('button', { name: 'Save' }).click();
  await page.getByText('Label Gold tier saved.').waitFor();
  let stored = (await apiCall(org, 'GET', `/v1/labels/${gold.id}`)).body.data;
  assert.equal(stored.name, 'Gold tier');
  assert.equal(stored.color, 'violet');
  assert.match(await page.locator('.label-list .chip', { hasText: 'Gold tier' }).getAttribute('class'), /chip-violet/);
  for (const width of [1440, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, 'labels');
  }
  await page.setViewportSize({ width: 1440, height: 900 });

  const ids = await makeContacts(org, 'Gold Person', 3, 86600000000);
  const bulk = await apiCall(org, 'POST', `/v1/${org.phone_number_id}/contacts/bulk_label`, { contact_ids: ids, label_id: gold.id, operation: 'attach' });
  assert.equal(bulk.body.data.applied, 3);
  const row = page.locator('.label-row', { has: page.getByLabel('Name of Gold tier') });
  await row.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Delete the label Gold tier\? It is on 3 contacts/);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('Label Gold tier deleted.').waitFor();
  stored = await apiCall(org, 'GET', `/v1/labels/${gold.id}`);
  assert.equal(stored.status, 404);
  assert.ok(page.url().endsWith('#/labels'), 'still on the labels page');
  assertNoProblems(page);
  await page.context().close();
});
