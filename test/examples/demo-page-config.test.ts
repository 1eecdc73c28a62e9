import { expect, it } from 'vitest';
import { runFailingExample } from './run-example.js';

// The demo page's Red5 Pro settings are checked at start-up, like every other variable.
it.each([
  [{ RED5PRO_HOST: 'https://red5.example.com' }, /RED5PRO_HOST must be a host name .* without scheme or port/],
  [{ RED5PRO_HOST: 'red5.example.com:5080' }, /RED5PRO_HOST must be a host name/],
  [{ RED5PRO_HOST: 'red5.example.com', RED5PRO_PORT: '70000' }, /RED5PRO_PORT must be a port number/],
  [{ RED5PRO_HOST: 'red5.example.com', RED5PRO_APP: 'live/room' }, /RED5PRO_APP must be the Red5 Pro application/],
  [{ RED5PRO_PORT: '5080' }, /RED5PRO_PORT and RED5PRO_APP need RED5PRO_HOST/],
])('the example refuses to start with %o', async (env, message) => {
  const { code, output } = await runFailingExample('express', env);
  expect(code).toBe(1);
  expect(output).toMatch(message);
});
