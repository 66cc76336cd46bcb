// Webhook deliveries: filter by subscription and status, see attempts, response and payload,
// replay one, or replay every dead delivery of a subscription.

import { api, listAll, newKey, query } from './api.js';
import { errorBox, field, fill, h, okBox, select, when } from './dom.js';
import { go } from './context.js';

const STATUSES = ['pending', 'failed', 'delivered', 'dead'];

export async function deliveriesView(view, params) {
  const filters = { subscription_id: params.get('subscription_id') || '', status: params.get('status') || '' };
  const subscriptions = await listAll('/v1/webhook_subscriptions');
  const subscription = select([['', 'All subscriptions'], ...subscriptions.map((s) => [s.id, s.url])], filters.subscription_id, { name: 'subscription_id' });
  const status = select([['', 'Any status'], ...STATUSES.map((s) => [s, s])], filters.status, { name: 'status' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter deliveries' },
    field('Subscription', subscription), field('Status', status), h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go('/deliveries', { subscription_id: subscription.value, status: status.value });
  });
  const messages = h('div', { class: 'messages' });
  const table = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  const replayDead = h('button', { type: 'button', class: 'secondary', disabled: !filters.subscription_id }, 'Replay all dead deliveries');
  replayDead.addEventListener('click', () => act(async () => {
    const body = { subscription_id: filters.subscription_id, status: 'dead' };
    const answer = (await api('POST', '/v1/webhook_deliveries/bulk_replay', { body, idempotencyKey: newKey('bulk-replay') })).data;
    const what = answer.enqueued === 1 ? 'dead delivery' : 'dead deliveries';
    fill(messages, okBox(`${answer.enqueued} ${what} queued again${answer.capped ? ' (the first 1,000; run it again for more)' : ''}.`));
    await load();
  }));
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => act(load) }, 'Refresh');
  fill(view, h('h1', {}, 'Deliveries'), form,
    h('div', { class: 'actions' }, refresh, replayDead,
      filters.subscription_id ? null : h('span', { class: 'hint' }, 'Choose a subscription to replay its dead deliveries.')),
    messages, table, pager);

  const trail = [];
  let cursor = null;
  async function act(work) {
    try {
      await work();
    } catch (error) {
      fill(messages, errorBox(error));
    }
  }
  async function load() {
    const page = await api('GET', `/v1/webhook_deliveries${query({ ...filters, limit: 25, cursor })}`);
    fill(table, page.data.length ? h('table', { class: 'deliveries' },
      h('caption', { class: 'visually-hidden' }, 'Deliveries'),
      h('thead', {}, h('tr', {}, ['Created', 'Event', 'Status', 'Attempts', 'Response', 'Details', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, page.data.map(row))) : h('p', { class: 'empty' }, 'No deliveries match.'));
    fill(pager,
      h('button', { type: 'button', class: 'secondary', disabled: trail.length === 0, onclick: () => { cursor = trail.pop(); act(load); } }, 'Previous page'),
      h('button', { type: 'button', class: 'secondary', disabled: !page.has_more, onclick: () => { trail.push(cursor); cursor = page.next_cursor; act(load); } }, 'Next page'));
  }
  function row(d) {
    const replay = h('button', { type: 'button', class: 'secondary', 'aria-label': `Replay delivery ${d.id}` }, 'Replay');
    replay.addEventListener('click', () => act(async () => {
      const made = (await api('POST', `/v1/webhook_deliveries/${d.id}/replay`, { idempotencyKey: newKey('replay') })).data;
      fill(messages, okBox(`Replay ${made.id} queued.`));
      await load();
    }));
    return h('tr', { 'data-id': d.id },
      h('td', {}, when(d.created_at)),
      h('td', {}, h('span', { class: 'mono' }, d.event_type)),
      h('td', {}, h('span', { class: `badge badge-${d.status}` }, d.status)),
      h('td', {}, String(d.attempts)),
      h('td', {}, d.response_status ? String(d.response_status) : (d.last_error || '—')),
      h('td', {}, h('details', {}, h('summary', {}, 'Show'),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Delivery'), h('dd', { class: 'mono' }, d.id),
          h('dt', {}, 'Event'), h('dd', { class: 'mono' }, d.event_id),
          d.replayed_from ? [h('dt', {}, 'Replay of'), h('dd', { class: 'mono' }, d.replayed_from)] : null,
          h('dt', {}, 'Last attempt'), h('dd', {}, when(d.last_attempt_at)),
          h('dt', {}, 'Next attempt'), h('dd', {}, when(d.next_attempt_at)),
          h('dt', {}, 'Last error'), h('dd', {}, d.last_error || '—')),
        h('p', {}, h('strong', {}, 'Response body')), h('pre', {}, d.response_body ?? '—'),
        h('p', {}, h('strong', {}, 'Payload')), h('pre', {}, d.payload ? JSON.stringify(d.payload, null, 2) : '—'))),
      h('td', {}, replay));
  }
  await act(load);
}
