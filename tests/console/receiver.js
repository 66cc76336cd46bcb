// A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that records every request
// and answers with the status the test sets.

import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

export async function startReceiver() {
  const received = [];
  const waiting = [];
  const receiver = { received, status: 200, url: '' };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(receiver.status, { 'Content-Type': 'text/plain' });
      res.end(receiver.status < 300 ? 'thanks' : 'not today');
      for (const w of waiting.splice(0)) w();
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  receiver.url = `http://127.0.0.1:${server.address().port}`;
  /** Resolves once `count` requests have arrived (fails after `ms`). */
  receiver.waitFor = async (count, ms = 20000) => {
    const deadline = Date.now() + ms;
    while (received.length < count) {
      if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} requests, not ${count}`);
      await new Promise((done) => { waiting.push(done); setTimeout(done, 200); });
    }
    return received;
  };
  receiver.close = () => new Promise((done) => server.close(done));
  return receiver;
}

/** True when `header` (`t=…,v1=…`) carries a v1 signature of `body` by `secret`. */
export function signedBy(header, body, secret) {
  const parts = header.split(',').map((p) => p.split('='));
  const t = parts.find(([k]) => k === 't')[1];
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return parts.some(([k, v]) => k === 'v1' && v === expected);
}
