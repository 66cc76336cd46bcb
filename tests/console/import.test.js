// CSV import: the preview shows the first rows and every bad row; the good rows go in through
// bulk_upsert (a new contact is created, a known phone number updated), checked through the API; a
// row the server refuses is reported and the others go in.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, baseUrl, launch, listAll, open, orgs, screenshot, signIn } from './support.js';

const org = orgs.a;
const account = org.phone_number_id;
let browser;
let existing;

before(async () => {
  browser = await launch();
  existing = (await apiCall(org, 'POST', `/v1/${account}/contacts`, { phone_number: '+6288800000001', name: 'Old name' })).body.data;
});
after(async () => { await browser.close(); });

const csv = [
  'phone_number,name,email,city,tier',
  '+6288800000001,Updated Name,,Medan,',
  '+6288800000002,"Import, Second",second@example.com,Surabaya,gold',
  '0812-not-e164,Bad Phone,,Bogor,',
  '+6288800000003,Import Third,,"Den\npasar",silver',
  '+6288800000004,Bad Email,not-an-address,,',
].join('\r\n');

test('a CSV with bad rows is previewed with its errors, then its good rows are imported', async () => {
  for (const width of [1440, 375]) {
    const page = await open(browser, { width });
    await signIn(page, org);
    await page.goto(`${baseUrl}/console#/a/${account}/import`);
    await page.getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByText('5 rows: 3 valid, 2 with errors (they will be skipped).').waitFor();
    const errors = await page.locator('.preview ul.errors li').allTextContents();
    assert.deepEqual(errors, [
      'Line 4: "0812-not-e164" is not an E.164 number (like +6281234567890).',
      'Line 7: "not-an-address" is not an email address.',
    ]);
    const preview = await page.locator('table.preview-rows tbody tr').allTextContents();
    assert.equal(preview.length, 3);
    assert.match(preview[1], /Import, Second/);
    await screenshot(page, 'import');
    if (width === 375) {
      assertNoProblems(page);
      await page.context().close();
      continue;
    }

    await page.getByRole('button', { name: 'Import 3 valid rows' }).click();
    await page.getByText('Done: 2 created, 1 updated, 0 unchanged, 0 refused.').waitFor();
    assert.equal(await page.locator('.outcome progress').evaluate((b) => `${b.value}/${b.max}`), '3/3');
    const contacts = await listAll(org, `/v1/${account}/contacts?search=import`);
    const second = contacts.find((c) => c.phone_number === '+6288800000002');
    assert.equal(second.name, 'Import, Second');
    assert.equal(second.email, 'second@example.com');
    assert.deepEqual(second.metadata, { city: 'Surabaya', tier: 'gold' });
    const third = contacts.find((c) => c.phone_number === '+6288800000003');
    assert.deepEqual(third.metadata, { city: 'Den\npasar', tier: 'silver' });
    const updated = (await apiCall(org, 'GET', `/v1/${account}/contacts/${existing.id}`)).body.data;
    assert.equal(updated.name, 'Updated Name');
    assert.deepEqual(updated.metadata, { city: 'Medan' });
    const bad = await listAll(org, `/v1/${account}/contacts?search=bad`);
    assert.deepEqual(bad, [], 'bad rows were not imported');
    assertNoProblems(page);
    await page.context().close();
  }
});

test('a file written by `kirim contacts export` imports as the same contacts', async () => {
  const exported = [
    'phone_number,name,email,team_id,metadata,id,created_at,updated_at',
    '+6288800000011,Exported One,,,"{""visits"":3,""vip"":true,""note"":""a, b""}",ctc_01JZZZZZZZZZZZZZZZZZZZZZZZ,2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z',
  ].join('\n');
  const page = await open(browser, { width: 1440 });
  await signIn(page, org);
  await page.goto(`${baseUrl}/console#/a/${account}/import`);
  await page.getByLabel('CSV file').setInputFiles({ name: 'export.csv', mimeType: 'text/csv', buffer: Buffer.from(exported) });
  await page.getByRole('button', { name: 'Import 1 valid row' }).click();
  await page.getByText('Done: 1 created, 0 updated, 0 unchanged, 0 refused.').waitFor();
  const [made] = await listAll(org, `/v1/${account}/contacts?phone=%2B6288800000011`);
  assert.equal(made.name, 'Exported One');
  assert.deepEqual(made.metadata, { note: 'a, b', vip: true, visits: 3 }, 'metadata as it was, no id or times in it');
  assertNoProblems(page);
  await page.context().close();
});

test('a row the server refuses is reported by line, the rest goes in, and headers match in any case', async () => {
  const csv = [
    'Phone_Number,NAME,team_id',
    '+6288800000021,  Refused Neighbour One  ,',
    `+6288800000022,Refused Foreign Team,${orgs.b.team_id}`,
    '+6288800000023,Refused Neighbour Two,',
  ].join('\n');
  const page = await open(browser, { width: 1440, expectedStatuses: [404] });
  await signIn(page, org);
  await page.goto(`${baseUrl}/console#/a/${account}/import`);
  await page.getByLabel('CSV file').setInputFiles({ name: 'teams.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import 3 valid rows' }).click();
  await page.getByText('Done: 2 created, 0 updated, 0 unchanged, 1 refused.').waitFor();
  const refused = await page.locator('.outcome ul.refused li').allTextContents();
  assert.equal(refused.length, 1);
  assert.match(refused[0], /^Line 3: /);
  const made = await listAll(org, `/v1/${account}/contacts?search=refused`);
  // The header's case does not matter; a name keeps the spaces it was written with.
  assert.deepEqual(made.map((c) => c.name).sort(), ['  Refused Neighbour One  ', 'Refused Neighbour Two']);
  assertNoProblems(page);
  await page.context().close();
});
