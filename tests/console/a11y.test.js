// Accessibility of every page: labelled controls, WCAG AA text contrast, and a visible focus
// indicator on every stop of the keyboard's Tab order.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiCall, assertNoProblems, baseUrl, launch, makeContacts, open, orgs, signIn } from './support.js';

const org = orgs.a;
const account = org.phone_number_id;
let browser;
let contact;

before(async () => {
  browser = await launch();
  [contact] = await makeContacts(org, 'Access Person', 1, 89900000000);
  const label = (await apiCall(org, 'POST', '/v1/labels', { name: 'Contrast', color: 'yellow' })).body.data;
  await apiCall(org, 'POST', `/v1/${account}/contacts/${contact}/labels`, { label_id: label.id });
});
after(async () => { await browser.close(); });

/** Runs in the page: what fails labelling and contrast. */
function audit() {
  const problems = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (!visible(el) || el.type === 'hidden') continue;
    const named = el.labels.length > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || ''}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push(`nameless ${el.outerHTML.slice(0, 60)}`);
  }
  const rgba = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const over = (top, bottom) => { const a = top[3] ?? 1; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if ((c[3] ?? 1) > 0) layers.push(c);
      if ((c[3] ?? 1) === 1) break;
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255]);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el) || !visible(el) || el.closest('[disabled], option, .skip')) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} for "${node.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}

/** Tabs through the page; every focused element must show an outline. */
async function focusIsVisible(page, stops = 25) {
  const problems = [];
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      return { what: el.outerHTML.slice(0, 60), outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
    });
    if (focus && !focus.outline) problems.push(`no visible focus on ${focus.what}`);
  }
  return problems;
}

const pages = [
  ['contacts', `#/a/${account}/contacts`, 'Contacts'],
  ['contact', () => `#/a/${account}/contacts/${contact}`, 'Labels'],
  ['new contact', `#/a/${account}/contacts/new`, 'New contact'],
  ['labels', '#/labels', 'New label'],
  ['import', `#/a/${account}/import`, 'Import contacts'],
  ['webhooks', '#/webhooks', 'New subscription'],
  ['deliveries', '#/deliveries', 'Deliveries'],
];

test('every page has labelled controls, AA contrast and a visible keyboard focus', async () => {
  const page = await open(browser);
  await page.goto(`${baseUrl}/console`);
  assert.deepEqual(await page.evaluate(audit), [], 'the sign-in page');
  assert.deepEqual(await focusIsVisible(page, 3), [], 'the sign-in page');
  // Keyboard only: the key field, typing, Enter.
  await page.getByLabel('API key').focus();
  await page.keyboard.type(org.key);
  await page.keyboard.press('Enter');
  await page.locator('#org', { hasText: org.name }).waitFor();
  for (const [name, hash, heading] of pages) {
    await page.goto(`${baseUrl}/console${typeof hash === 'function' ? hash() : hash}`);
    await page.reload();
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(await page.evaluate(audit), [], `the ${name} page`);
    assert.deepEqual(await focusIsVisible(page), [], `the ${name} page`);
  }
  assertNoProblems(page);
  await page.context().close();
});

test('the signed-in browser reaches every section from the keyboard', async () => {
  const page = await open(browser);
  await signIn(page, org);
  await page.locator('table.contacts tbody tr').first().waitFor();
  await page.keyboard.press('Tab'); // the skip link
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab'); // Labels
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'New label' }).waitFor();
  assertNoProblems(page);
  await page.context().close();
});
