// Webhooks: a subscription created in the console (its secret shown once and copied), a
// delivery arriving at a real receiver and signed with that secret, a replay, pause/resume,
// rotation, the bulk replay of dead deliveries, and deletion.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, baseUrl, launch, open, orgs, screenshot, signIn } from './support.js';
import { signedBy, startReceiver } from './receiver.js';

const org = orgs.b;
const account = org.phone_number_id;
let browser;
let receiver;

before(async () => {
  browser = await launch();
  receiver = await startReceiver();
});
after(async () => {
  await browser.close();
  await receiver.close();
});

const row = (page, id) => page.locator(`li.subscription[data-id="${id}"]`);

test('a subscription is created, receives a signed delivery, replays it, and is managed from the console', async () => {
  const page = await open(browser, { expectedStatuses: [400] });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  await signIn(page, org);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  // The API's refusal, with its request id; the corrected form is then a new request.
  await page.getByLabel('Endpoint URL').fill('ftp://127.0.0.1/hook');
  await page.getByRole('button', { name: 'Create subscription' }).click();
  const refused = page.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /Request id: req_/);
  await page.getByLabel('Endpoint URL').fill(`${receiver.url}/hook`);
  await page.getByLabel('Description').fill('CRM sync');
  await page.getByRole('button', { name: 'Create subscription' }).click();
  const secretBox = page.getByRole('region', { name: 'Signing secret' });
  await secretBox.waitFor();
  const secret = await secretBox.locator('code').textContent();
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  await secretBox.getByRole('button', { name: 'Copy' }).click();
  await secretBox.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  const [subscription] = (await apiCall(org, 'GET', '/v1/webhook_subscriptions')).body.data;
  assert.equal(subscription.url, `${receiver.url}/hook`);
  assert.deepEqual([...subscription.events].sort(), ['contact.created', 'contact.deleted', 'contact.updated']);
  assert.equal(subscription.description, 'CRM sync');
  await screenshot(page, 'webhooks');
  await page.reload();
  assert.equal(await page.getByRole('region', { name: 'Signing secret' }).count(), 0, 'the secret is shown once');

  // A change made through the API arrives at the receiver, signed with the secret shown.
  await apiCall(org, 'POST', `/v1/${account}/contacts`, { phone_number: '+6287700000001', name: 'Hook Person' });
  const [first] = await receiver.waitFor(1);
  assert.equal(first.headers['x-kirim-event'], 'contact.created');
  assert.ok(signedBy(first.headers['x-kirim-signature'], first.body, secret), 'signed with the secret the console showed');

  await page.getByRole('link', { name: 'Deliveries' }).first().click();
  await page.getByLabel('Subscription', { exact: true }).selectOption(subscription.id);
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  const delivered = page.locator('table.deliveries tbody tr', { hasText: 'delivered' });
  await delivered.first().waitFor();
  await delivered.first().getByText('Show').click();
  assert.match(await delivered.first().textContent(), /thanks/);
  assert.match(await delivered.first().textContent(), /Hook Person/);
  await screenshot(page, 'deliveries');
  await delivered.first().getByRole('button', { name: /^Replay delivery/ }).click();
  await page.getByText(/^Replay wbd_[0-9A-Z]{26} queued\.$/).waitFor();
  const [, replayed] = await receiver.waitFor(2);
  assert.equal(replayed.headers['x-kirim-event-id'], first.headers['x-kirim-event-id']);
  assert.notEqual(replayed.headers['x-kirim-delivery-id'], first.headers['x-kirim-delivery-id']);
  assert.equal(replayed.body, first.body, 'a replay sends the same event');

  // A receiver that refuses (400) kills the delivery at once; "replay all dead" sends it again.
  receiver.status = 400;
  await apiCall(org, 'POST', `/v1/${account}/contacts`, { phone_number: '+6287700000002', name: 'Dead Letter' });
  await receiver.waitFor(3);
  receiver.status = 200;
  await page.getByLabel('Status').selectOption('dead');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.locator('table.deliveries tbody tr', { hasText: 'dead' }).first().waitFor();
  await page.getByRole('button', { name: 'Replay all dead deliveries' }).click();
  await page.getByText('1 dead delivery queued again.').waitFor();
  const all = await receiver.waitFor(4);
  assert.equal(all[3].headers['x-kirim-event-id'], all[2].headers['x-kirim-event-id']);

  await page.getByRole('link', { name: 'Webhooks' }).click();
  await row(page, subscription.id).getByRole('button', { name: 'Pause' }).click();
  await page.getByText(`Subscription ${subscription.id} paused.`).waitFor();
  assert.equal((await apiCall(org, 'GET', `/v1/webhook_subscriptions/${subscription.id}`)).body.data.status, 'paused');
  await row(page, subscription.id).getByRole('button', { name: 'Resume' }).click();
  await page.getByText(`Subscription ${subscription.id} resumed.`).waitFor();
  assert.equal((await apiCall(org, 'GET', `/v1/webhook_subscriptions/${subscription.id}`)).body.data.status, 'active');

  // An emptied hours field is the API's default (24 hours), not 0, which would end the old secret now.
  await row(page, subscription.id).getByLabel('Old secrets stay valid for (hours)').fill('');
  await row(page, subscription.id).getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = page.getByRole('region', { name: 'New signing secret' });
  await rotated.waitFor();
  const newSecret = await rotated.locator('code').textContent();
  assert.match(newSecret, /^whsec_/);
  assert.notEqual(newSecret, secret);
  const secrets = (await apiCall(org, 'GET', `/v1/webhook_subscriptions/${subscription.id}`)).body.data.secrets;
  assert.equal(secrets.length, 2);
  const left = Date.parse(secrets[0].expires_at) - Date.now();
  assert.ok(left > 23 * 3600e3, `the old secret is still valid for a day, not ${left} ms`);

  await row(page, subscription.id).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByText(`Subscription ${subscription.id} deleted.`).waitFor();
  assert.equal((await apiCall(org, 'GET', `/v1/webhook_subscriptions/${subscription.id}`)).status, 404);
  assertNoProblems(page);
  await page.context().close();
});

test('the webhook pages work at 375 px', async () => {
  const page = await open(browser, { width: 375 });
  await signIn(page, org);
  await page.goto(`${baseUrl}/console#/webhooks`);
  await page.getByRole('heading', { name: 'New subscription' }).waitFor();
  await screenshot(page, 'webhooks');
  await page.goto(`${baseUrl}/console#/deliveries`);
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  await screenshot(page, 'deliveries');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
  assertNoProblems(page);
  await page.context().close();
});
