// Bulk label: every contact matching a filter (2,500, so three chunks of at most 1,000, each
// with its own Idempotency-Key), with progress and the summed counts, checked through the API.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, launch, listAll, makeContacts, open, orgs, screenshot, signIn } from './support.js';

const org = orgs.a;
const account = org.phone_number_id;
let browser;
let campaign;
let ids;

before(async () => {
  browser = await launch();
  campaign = (await apiCall(org, 'POST', '/v1/labels', { name: 'Campaign', color: 'sky' })).body.data;
  ids = await makeContacts(org, 'Bulk Person', 2500, 87000000000);
});
after(async () => { await browser.close(); });

const labelled = async () => new Set((await listAll(org, `/v1/${account}/contacts?label_id=${campaign.id}`)).map((c) => c.id));

test('attaching a label to all 2,500 contacts that match a search, then detaching two selected', async () => {
  const page = await open(browser);
  const bulkCalls = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/contacts/bulk_label')) {
      bulkCalls.push({ key: request.headers()['idempotency-key'], count: JSON.parse(request.postData()).contact_ids.length });
    }
  });
  await signIn(page, org);
  await page.getByLabel('Search name or email').fill('Bulk Person');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.waitForFunction(() => location.hash.includes('search=Bulk'));
  await page.locator('table.contacts tbody tr').first().waitFor();
  await page.getByLabel('Label to apply').selectOption({ label: 'Campaign (sky)' });
  await page.getByLabel('Contacts', { exact: true }).selectOption('all');
  await page.getByRole('button', { name: 'Apply to contacts' }).click();
  const done = page.locator('.outcome [role=status].ok');
  await done.waitFor({ timeout: 120000 });
  assert.equal(await done.textContent(),
    'Done: 2,500 applied, 0 skipped (not on this account), 0 skipped (another team).');
  const bar = page.locator('.outcome progress');
  assert.equal(await bar.evaluate((b) => [b.value, b.max].join('/')), '2500/2500');
  assert.deepEqual(bulkCalls.map((c) => c.count), [1000, 1000, 500]);
  assert.equal(new Set(bulkCalls.map((c) => c.key)).size, 3, 'a key of its own for each chunk');
  assert.ok(bulkCalls.every((c) => c.key && c.key.length <= 255));
  const after = await labelled();
  assert.equal(after.size, 2500);
  assert.ok(ids.every((id) => after.has(id)));
  await screenshot(page, 'bulk');

  // Two rows selected on the page, detached.
  const boxes = page.locator('table.contacts tbody input[type=checkbox]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  assert.equal(await page.getByLabel('Contacts', { exact: true }).inputValue(), 'selected');
  await page.getByLabel('Operation').selectOption('detach');
  await page.getByRole('button', { name: 'Apply to contacts' }).click();
  await page.getByText('Done: 2 applied, 0 skipped (not on this account), 0 skipped (another team).').waitFor();
  assert.equal((await labelled()).size, 2498);

  // Under the label's filter, the rows detached leave the table as soon as it is done.
  await page.getByLabel('Filter by label').selectOption({ label: 'Campaign' });
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.waitForFunction(() => location.hash.includes('label_id='));
  await page.locator('table.contacts tbody tr').first().waitFor();
  const names = () => page.locator('table.contacts tbody tr td:nth-child(2)').allTextContents();
  const [first, second] = await names();
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByLabel('Operation').selectOption('detach');
  await page.getByRole('button', { name: 'Apply to contacts' }).click();
  await page.getByText('Done: 2 applied, 0 skipped (not on this account), 0 skipped (another team).').waitFor();
  await page.waitForFunction(([a, b]) => {
    const shown = [...document.querySelectorAll('table.contacts tbody tr td:nth-child(2)')].map((td) => td.textContent);
    return shown.length > 0 && !shown.includes(a) && !shown.includes(b);
  }, [first, second]);
  assert.equal((await labelled()).size, 2496);
  assertNoProblems(page);
  await page.context().close();
});
