import { fill, h } from './dom.js';

export async function importView(view) {
  fill(view, h('h1', {}, 'import'));
}
