/**
 * serve reads its platforms from `@roomkey/core`'s registry: a platform added there (here a
 * TURN-shaped one: a `turn` token addressed by a boolean request field, its own variables and a
 * route) reaches serve's token names, caps and routes with no change to serve.
 */
import { BUILT_IN_PLATFORMS, type RoomkeyPlatform } from '@roomkey/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { registryView } from '../src/config/registry.js';

const PLATFORMS = BUILT_IN_PLATFORMS as readonly RoomkeyPlatform<unknown, string, string>[];

const added: RoomkeyPlatform<unknown, string, string> = {
  option: 'turn',
  title: 'TURN',
  configure: 'turn: { secret, urls }',
  tokenNames: ['turn'],
  requestFields: { turn: { kind: 'flag', message: 'turn must be true or false', check: (value) => value } },
  grantFields: {
    relays: {
      message: 'grant.relays must be a list',
      check: (value) => value,
      serviceCap: { schema: v.array(v.string()), hint: 'a list of relays', list: true, required: true },
    },
  },
  routes: {
    'turn-rest': {
      path: '/turn-credentials',
      tokenName: 'turn',
      parse: () => ({ request: { turn: true } }),
      success: (result) => result,
    },
  },
  env: { variables: ['TURN_SECRET', 'TURN_URLS'], read: () => undefined },
  create: () => [],
};

describe("serve's view of the registry", () => {
  it('holds every built-in token name, target cap, platform cap and route', () => {
    const view = registryView(PLATFORMS);
    expect(view.tokenNames).toEqual(['red5pro', 'vonage', 'conference', 'chat', 'livekit', 'turn']);
    expect(view.targetCaps).toEqual(
      expect.arrayContaining([
        { list: 'rooms', field: 'room' },
        { list: 'channels', field: 'channel' },
        { list: 'sessions', field: 'session' },
      ]),
    );
    expect(view.targetCaps).toHaveLength(3);
    expect(view.serviceCaps.map(({ name, cap }) => [name, cap.required === true])).toEqual([
      ['transports', true],
      ['livekit', false],
    ]);
    expect(view.extraRoutes.map(({ protocol, path }) => [protocol, path])).toEqual([
      ['red5-chat', '/chat-token'],
      ['red5-conference', '/config-meetings/api/generate-token'],
      ['livekit', '/livekit-token'],
    ]);
  });

  it('picks up a platform added to the registry: its token, its caps and its route, and no target cap for a flag', () => {
    const view = registryView([...PLATFORMS, added]);
    expect(view.tokenNames.at(-1)).toBe('turn');
    expect(view.targetCaps).toHaveLength(3);
    expect(view.requestFields.get('turn')?.kind).toBe('flag');
    expect(view.serviceCaps.find(({ name }) => name === 'relays')?.platforms).toEqual([added]);
    expect(view.extraRoutes.at(-1)).toMatchObject({ protocol: 'turn-rest', path: '/turn-credentials' });
  });
});
