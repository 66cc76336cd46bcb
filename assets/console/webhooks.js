// Webhook subscriptions: create (the secret shown once, with a copy button), pause and resume,
// rotate the signing secret, delete.

import { api, listAll, newKey } from './api.js';
import { confirmDialog, errorBox, field, fill, h, okBox, secretBox, when } from './dom.js';

/** The events this server emits, offered first; the rest the hosted API documents. */
const OURS = ['contact.created', 'contact.updated', 'contact.deleted', 'label.created', 'label.updated', 'label.deleted'];
const HOSTED = ['message.received', 'message.status', 'message.status_updated', 'message.created', 'message.sent',
  'conversation.assigned', 'conversation.closed', 'customer.created', 'customer.updated', 'customer.archived',
  'customer.onboarded', 'customer.setup_link.created', 'customer.setup_link.consumed'];

export async function webhooksView(view, message) {
  const subscriptions = await listAll('/v1/webhook_subscriptions');
  const status = h('div', { class: 'messages' }, message);

  const url = h('input', { type: 'url', name: 'url', required: true, maxlength: 2048, placeholder: 'https://example.com/kirim' });
  const description = h('input', { name: 'description', maxlength: 255 });
  const box = (event, checked) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'events', value: event, checked }), ` ${event}`);
  const events = h('fieldset', { class: 'events' }, h('legend', {}, 'Events'),
    h('div', { class: 'checks' }, OURS.map((e) => box(e, e.startsWith('contact.')))),
    h('details', {}, h('summary', {}, 'Event types of the hosted API (never sent by this server)'),
      h('div', { class: 'checks' }, HOSTED.map((e) => box(e, false)))));
  const create = h('form', { class: 'webhook-form' }, field('Endpoint URL', url), field('Description', description), events,
    h('button', { type: 'submit' }, 'Create subscription'));
  const submit = create.querySelector('button[type=submit]');
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const chosen = [...create.querySelectorAll('input[name=events]:checked')].map((i) => i.value);
    const body = { url: url.value.trim(), events: chosen };
    if (description.value.trim()) body.description = description.value.trim();
    try {
      // A key per submission: a corrected form is a new request.
      const made = (await api('POST', '/v1/webhook_subscriptions', { body, idempotencyKey: newKey('subscription') })).data;
      await webhooksView(view, [okBox(`Subscription ${made.id} created.`), secretBox('Signing secret', made.initial_secret)]);
    } catch (error) {
      fill(status, errorBox(error));
      submit.disabled = false;
    }
  });

  const rows = subscriptions.map((s) => subscriptionRow(view, s));
  fill(view, h('h1', {}, 'Webhooks'), status,
    subscriptions.length
      ? h('ul', { class: 'subscriptions', 'aria-label': 'Subscriptions' }, rows)
      : h('p', { class: 'empty' }, 'No subscriptions yet.'),
    h('h2', {}, 'New subscription'), create);
}

function subscriptionRow(view, s) {
  const out = h('div', { class: 'messages' });
  const path = `/v1/webhook_subscriptions/${s.id}`;
  const run = async (work) => {
    try {
      fill(out);
      await work();
    } catch (error) {
      fill(out, errorBox(error));
    }
  };
  const toggle = h('button', { type: 'button', class: 'secondary' }, s.status === 'active' ? 'Pause' : 'Resume');
  toggle.addEventListener('click', () => run(async () => {
    const next = s.status === 'active' ? 'paused' : 'active';
    await api('PATCH', path, { body: { status: next } });
    await webhooksView(view, okBox(`Subscription ${s.id} ${next === 'active' ? 'resumed' : 'paused'}.`));
  }));
  const hours = h('input', { type: 'number', min: 0, max: 720, value: 24, name: 'expires_in_hours' });
  const rotate = h('form', { class: 'inline' }, field('Old secrets stay valid for (hours)', hours),
    h('button', { type: 'submit', class: 'secondary' }, 'Rotate secret'));
  rotate.addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      // An emptied field means the API's default (24 hours), not 0 (which ends every old secret now).
      const body = hours.value === '' ? {} : { expires_in_hours: Number(hours.value) };
      const made = (await api('POST', `${path}/secrets`, { body, idempotencyKey: newKey('rotate') })).data;
      fill(out, okBox('Secret rotated.'), secretBox('New signing secret', made.secret));
    });
  });
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  remove.addEventListener('click', () => run(async () => {
    if (!(await confirmDialog(`Delete the subscription to ${s.url}? Deliveries not yet made will not be made.`))) return;
    await api('DELETE', path);
    await webhooksView(view, okBox(`Subscription ${s.id} deleted.`));
  }));
  return h('li', { class: 'subscription', 'data-id': s.id },
    h('div', { class: 'title-row' }, h('strong', { class: 'mono' }, s.url), h('span', { class: `badge badge-${s.status}` }, s.status)),
    s.description ? h('p', {}, s.description) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', { class: 'mono' }, s.id),
      h('dt', {}, 'Events'), h('dd', {}, s.events.join(', ')),
      h('dt', {}, 'Secrets'), h('dd', {}, s.secrets.map((x) => `${x.id} (${x.expires_at ? `expires ${when(x.expires_at)}` : 'current'})`).join('; ')),
      h('dt', {}, 'Failures in a row'), h('dd', {}, String(s.consecutive_failures ?? 0)),
      s.disabled_reason ? [h('dt', {}, 'Disabled'), h('dd', {}, s.disabled_reason)] : null),
    h('div', { class: 'actions' }, toggle, remove, h('a', { class: 'button secondary-link', href: `#/deliveries?subscription_id=${s.id}` }, 'Deliveries')),
    rotate, out);
}
