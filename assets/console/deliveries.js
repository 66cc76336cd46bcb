import { fill, h } from './dom.js';

export async function deliveriesView(view) {
  fill(view, h('h1', {}, 'deliveries'));
}
