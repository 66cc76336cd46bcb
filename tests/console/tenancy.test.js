// Another organisation's data is not reachable by editing the console's URLs or its API paths.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, baseUrl, launch, makeContacts, open, orgs, signIn } from './support.js';

let browser;
let theirContact;
let theirLabel;

before(async () => {
  browser = await launch();
  [theirContact] = await makeContacts(orgs.b, 'Their Person', 1, 85500000000);
  theirLabel = (await apiCall(orgs.b, 'POST', '/v1/labels', { name: 'Theirs', color: 'pink' })).body.data;
});
after(async () => { await browser.close(); });

test("another organisation's account, contact and label are not found through the console", async () => {
  const page = await open(browser, { expectedStatuses: [404] });
  await signIn(page, orgs.a);

  await page.goto(`${baseUrl}/console#/a/${orgs.b.phone_number_id}/contacts`);
  let alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /No such .*Request id: req_/);
  assert.ok(!(await page.content()).includes('Their Person'));

  await page.goto(`${baseUrl}/console#/a/${orgs.a.phone_number_id}/contacts/${theirContact}`);
  await page.reload();
  alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /No such contact.*Request id: req_/);

  await page.goto(`${baseUrl}/console#/a/${orgs.b.phone_number_id}/contacts/${theirContact}`);
  await page.reload();
  await page.getByRole('alert').waitFor();
  assert.ok(!(await page.content()).includes('Their Person'));

  const direct = await page.evaluate(async ([label, account, contact]) => {
    const call = async (method, path, body) => {
      const r = await fetch(`/console/api${path}`, {
        method, headers: { 'X-Kirim-Console': '1', 'Content-Type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      return r.status;
    };
    return [
      await call('GET', `/v1/labels/${label}`),
      await call('PATCH', `/v1/labels/${label}`, { name: 'mine now' }),
      await call('DELETE', `/v1/${account}/contacts/${contact}`),
    ];
  }, [theirLabel.id, orgs.b.phone_number_id, theirContact]);
  assert.deepEqual(direct, [404, 404, 404]);
  assert.equal((await apiCall(orgs.b, 'GET', `/v1/labels/${theirLabel.id}`)).body.data.name, 'Theirs');
  assert.equal((await apiCall(orgs.b, 'GET', `/v1/${orgs.b.phone_number_id}/contacts/${theirContact}`)).status, 200);
  assertNoProblems(page);
  await page.context().close();
});
