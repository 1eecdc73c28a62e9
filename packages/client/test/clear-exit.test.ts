import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startTokenServer, type TokenServer, tokenAnswer } from './support/token-server.js';

let server: TokenServer;
beforeEach(async () => {
  server = await startTokenServer();
});
afterEach(() => server.close());

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// A process holding a watch (its refresh timer) and a request the server never answers: after
// clear() it must end by itself, with no timer, socket or listener left keeping it alive.
const child = `
const { createTokenClient } = await import(process.argv[1]);
const client = createTokenClient({ url: process.argv[2] });
await new Promise((resolve) => client.watch({ room: 'watched' }, { onTokens: resolve }));
const hanging = client.get({ room: 'hanging' }).catch((error) => error.code);
await new Promise((resolve) => setTimeout(resolve, 200));
client.clear();
process.stdout.write('cleared ' + (await hanging));
`;

it('clear() leaves nothing that keeps a Node process alive', async () => {
  let release: () => void = () => {};
  const never = new Promise<void>((resolve) => {
    release = resolve;
  });
  server.answer = (request, index) =>
    request.body.includes('hanging') ? { ...tokenAnswer(3_600_000), hold: never } : tokenAnswer(3_600_000, 0, index);
  const process_ = spawn(process.execPath, ['--input-type=module', '-e', child, built, server.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  process_.stdout.on('data', (chunk) => {
    output += chunk;
  });
  process_.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const killer = setTimeout(() => process_.kill('SIGKILL'), 10_000);
  const [code, signal] = await once(process_, 'exit');
  clearTimeout(killer);
  release();
  expect({ code, signal, output }).toEqual({ code: 0, signal: null, output: 'cleared aborted' });
  expect(server.requests).toHaveLength(2);
});
