/**
 * A misspelt option is refused at start-up with a message that names the function the app
 * called: `issueTokens: unknown option "authorise"`, not a function of roomkey's own that the
 * app never called.
 */
import * as express from '@roomkey/express';
import * as fastify from '@roomkey/fastify';
import * as fetch from '@roomkey/fetch';
import * as koa from '@roomkey/koa';
import { describe, expect, it } from 'vitest';
import { SECRET } from './support/tokens.js';

const ADAPTERS = [
  { name: '@roomkey/express', adapter: express },
  { name: '@roomkey/koa', adapter: koa },
  { name: '@roomkey/fastify', adapter: fastify },
  { name: '@roomkey/fetch', adapter: fetch },
] as const;

const FACTORIES = ['issueTokens', 'issueRed5ChatToken', 'issueRed5ConferenceToken', 'createTokenIssuer'] as const;

const misspelt = { identify: () => null, authorise: () => false, red5pro: { secret: SECRET } };

function messageOf(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as TypeError).message;
  }
  throw new Error('no error thrown');
}

describe.each(ADAPTERS)('$name names the function the app called in an option error', ({ adapter }) => {
  it.each(FACTORIES)('%s({ authorise }) says %s', (factory) => {
    const make = adapter[factory] as (options: unknown) => unknown;
    expect(messageOf(() => make(misspelt))).toMatch(
      new RegExp(`^${factory}: unknown option "authorise" \\(did you mean "authorize"\\?\\)`),
    );
  });
});

describe('@roomkey/fastify tokenRoutes', () => {
  it('tokenRoutes({ authorise }) says tokenRoutes', () => {
    expect(messageOf(() => fastify.tokenRoutes(misspelt as never))).toMatch(/^tokenRoutes: unknown option "authorise"/);
  });
});
