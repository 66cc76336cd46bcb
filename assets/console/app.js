// The console's entry: who is signed in, the account switcher, and the hash router that draws
// one view at a time into <main>.

import { api, listAll } from './api.js';
import { ctx, go } from './context.js';
import { errorBox, fill, h } from './dom.js';
import { contactsView } from './contacts.js';
import { contactView, newContactView } from './contact.js';
import { labelsView } from './labels.js';
import { importView } from './import.js';
import { webhooksView } from './webhooks.js';
import { deliveriesView } from './deliveries.js';

const view = document.getElementById('view');
const accountSelect = document.getElementById('account');

const routes = [
  [/^\/a\/(\d+)\/contacts$/, (m, q) => contactsView(view, m[1], q)],
  [/^\/a\/(\d+)\/contacts\/new$/, (m) => newContactView(view, m[1])],
  [/^\/a\/(\d+)\/contacts\/([^/]+)$/, (m) => contactView(view, m[1], decodeURIComponent(m[2]))],
  [/^\/a\/(\d+)\/import$/, (m) => importView(view, m[1])],
  [/^\/labels$/, () => labelsView(view)],
  [/^\/webhooks$/, () => webhooksView(view)],
  [/^\/deliveries$/, (m, q) => deliveriesView(view, q)],
];

async function route() {
  const [path, search] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(search || '');
  const account = path.match(/^\/a\/(\d+)/);
  if (account) accountSelect.value = account[1];
  for (const link of document.querySelectorAll('nav a')) {
    const current = link.dataset.section === sectionOf(path);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const [pattern, render] of routes) {
    const match = path.match(pattern);
    if (match) {
      try {
        await render(match, params);
      } catch (error) {
        fill(view, h('h1', {}, 'Something went wrong'), errorBox(error));
      }
      return;
    }
  }
  // Anything else: the contacts of the current account.
  go(`/a/${accountSelect.value || (ctx.accounts[0] && ctx.accounts[0].phone_number_id)}/contacts`);
}

function sectionOf(path) {
  if (path.endsWith('/import')) return 'import';
  if (path.startsWith('/a/')) return 'contacts';
  return path.split('/')[1];
}

function accountLinks() {
  const current = () => accountSelect.value;
  for (const link of document.querySelectorAll('nav a[data-account]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      go(`/a/${current()}/${link.dataset.account}`);
    });
  }
}

async function start() {
  try {
    const me = await api('GET', '/v1/me');
    ctx.me = me.data;
    ctx.accounts = await listAll('/v1/accounts', { status: 'all' });
  } catch (error) {
    fill(view, h('h1', {}, 'The console could not start'), errorBox(error),
      error.status === 401 ? h('p', {}, 'Sign out and sign in again with a valid key.') : null);
    return;
  }
  document.getElementById('org').textContent = ctx.me.organization.name;
  fill(accountSelect, ctx.accounts.map((a) =>
    h('option', { value: a.phone_number_id }, `${a.name || a.phone_number} (${a.phone_number_id})`)));
  accountSelect.addEventListener('change', () => go(`/a/${accountSelect.value}/contacts`));
  accountLinks();
  window.addEventListener('hashchange', route);
  if (ctx.accounts.length === 0) {
    fill(view, h('h1', {}, 'No accounts'), h('p', {}, 'This organisation has no WhatsApp account yet.'));
    return;
  }
  route();
}

start();
