// What every console test shares: the server and organisations made by main.js, Debian's
// chromium, a page that records console errors, sign-in, direct API calls, screenshots.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const { baseUrl, orgs, logPath } = JSON.parse(readFileSync(process.env.KIRIM_CONSOLE_FIXTURES, 'utf8'));
const screenshots = join(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

/** Debian's chromium, never a downloaded browser. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.KIRIM_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh browser context and page at `width`. `page.problems` collects console errors and
 * uncaught exceptions; `expectedStatuses` lists API statuses the test provokes on purpose
 * (chromium logs every failed fetch as a console error).
 */
export async function open(browser, { width = 1440, expectedStatuses = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 812 : 900 } });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const provoked = expectedStatuses.some((s) => message.text().includes(`status of ${s}`));
    if (!provoked) page.problems.push(message.text());
  });
  page.on('pageerror', (error) => page.problems.push(String(error)));
  return page;
}

/** Signs in through the form and waits for the console to show the organisation's name. */
export async function signIn(page, org) {
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('API key').fill(org.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#org', { hasText: org.name }).waitFor();
}

/** Fails the test when the page logged an error or threw. */
export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged no console error');
}

/** A direct API call with the organisation's key (setup and checks, outside the browser). */
export async function apiCall(org, method, path, body, headers = {}) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${org.key}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  return { status: response.status, body: json, headers: response.headers };
}

/** Creates `count` contacts named `${prefix} n`, 16 requests at a time. */
export async function makeContacts(org, prefix, count, phoneStart) {
  const ids = [];
  for (let start = 0; start < count; start += 16) {
    const batch = [];
    for (let i = start; i < Math.min(start + 16, count); i++) {
      batch.push(apiCall(org, 'POST', `/v1/${org.phone_number_id}/contacts`, {
        phone_number: `+62${phoneStart + i}`,
        name: `${prefix} ${i}`,
        email: `${prefix.toLowerCase().replaceAll(' ', '.')}.${i}@example.com`,
      }));
    }
    for (const r of await Promise.all(batch)) {
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.data.id);
    }
  }
  return ids;
}

/** Every item of a list, following next_cursor. */
export async function listAll(org, path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await apiCall(org, 'GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    items.push(...r.body.data);
    cursor = r.body.next_cursor;
  } while (cursor);
  return items;
}

/** `docs/screenshots/${name}-${width}.png`. */
export async function screenshot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  const width = page.viewportSize().width;
  await page.screenshot({ path: join(screenshots, `${name}-${width}.png`), fullPage: true });
}

/** The log kirim has written so far. */
export function serverLog() {
  return readFileSync(logPath, 'utf8');
}
