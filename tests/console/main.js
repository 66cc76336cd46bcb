// Runs the console's browser tests against a real kirim: a fresh SQLite database, two
// organisations made with `kirim admin`, a server on a free port, then every *.test.js here
// under node's test runner. Usage: node main.js KIRIM_BINARY (scripts/test-console does this).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const kirim = resolve(process.argv[2] || join(here, '../../target/debug/kirim'));
const work = mkdtempSync(join(tmpdir(), 'kirim-console-'));
const env = {
  ...process.env,
  KIRIM_DATABASE_URL: `sqlite://${join(work, 'console.db')}`,
  // Receivers in the tests listen on 127.0.0.1 over plain HTTP; retries come quickly.
  KIRIM_WEBHOOK_ALLOW_PRIVATE: 'true',
  KIRIM_WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s,1s,1s,1s',
  KIRIM_LOG: 'trace',
  KIRIM_LOG_FORMAT: 'json',
};

function admin(...args) {
  return JSON.parse(execFileSync(kirim, ['admin', ...args, '--json'], { env, encoding: 'utf8' }));
}

/** An organisation with one team, one account and a key; limits high enough for 2,500-row work. */
function organisation(name, phoneNumberId, phoneNumber) {
  const org = admin('org', 'create', '--name', name, '--tier', 'enterprise', '--write-per-minute', '100000', '--read-per-minute', '100000');
  const team = admin('team', 'create', '--org', org.id, '--name', `${name} Support`);
  const account = admin('account', 'create', '--org', org.id, '--team', team.id, '--phone-number-id', phoneNumberId,
    '--phone-number', phoneNumber, '--name', `${name} CS`);
  const key = admin('key', 'create', '--org', org.id, '--label', 'console tests');
  return { id: org.id, name, team_id: team.id, phone_number_id: account.phone_number_id, key: key.key };
}

execFileSync(kirim, ['migrate'], { env, stdio: 'inherit' });
const orgs = {
  a: organisation('Acme Retail', '106540352242922', '+6281234567890'),
  b: organisation('Other Org', '209876543210987', '+6289876543210'),
};

const logPath = join(work, 'kirim.log');
const server = spawn(kirim, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const logChunks = [];
server.stderr.on('data', (chunk) => logChunks.push(chunk));
const baseUrl = await new Promise((resolvePort, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = out.match(/listening on (http:\/\/\S+)/);
    if (match) resolvePort(match[1]);
  });
  server.on('exit', (code) => reject(new Error(`kirim exited with ${code} before listening`)));
  setTimeout(() => reject(new Error('kirim did not start in 30 s')), 30000);
});

const fixtures = join(work, 'fixtures.json');
writeFileSync(fixtures, JSON.stringify({ baseUrl, orgs, logPath }));
const flush = () => writeFileSync(logPath, Buffer.concat(logChunks));
const flushTimer = setInterval(flush, 500);

const files = (process.env.KIRIM_CONSOLE_TESTS || '')
  .split(',').filter(Boolean).map((f) => join(here, f));
const specs = files.length ? files : readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f));
const tests = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...specs], {
  env: { ...process.env, KIRIM_CONSOLE_FIXTURES: fixtures },
  stdio: 'inherit',
});
const code = await new Promise((done) => tests.on('exit', (c) => done(c ?? 1)));
clearInterval(flushTimer);
server.kill('SIGTERM');
await new Promise((done) => server.on('exit', done));
flush();
// Whatever the tests did (sign-ins, wrong keys, sessions), no key reached kirim's log.
const log = Buffer.concat(logChunks).toString('utf8');
const leaked = Object.values(orgs).filter((org) => log.includes(org.key.replace('kdv_live_', '')));
if (leaked.length) console.error(`kirim's log contains the key of ${leaked.map((o) => o.name).join(', ')}`);
const failed = code !== 0 || leaked.length > 0;
if (failed) console.error(`kirim's log is in ${logPath}`);
else rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
