import { fill, h } from './dom.js';

export async function webhooksView(view) {
  fill(view, h('h1', {}, 'webhooks'));
}
