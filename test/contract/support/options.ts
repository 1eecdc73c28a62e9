import type { Red5ProSignerOptions } from '@roomkey/core';
import request from 'supertest';
import { type ContractOptions, createApp, type Mode, type Variant } from '../apps.js';
import type { FrozenClock } from './clock.js';
import type { Agent } from './http.js';
import { apiKeyIdentify } from './identity.js';
import { SECRET } from './tokens.js';

/**
 * The options every contract app starts from: API-key `identify`, Red5 Pro signing with the
 * contract secret, and the frozen clock for both the signer and audit events.
 */
export function baseOptions(
  variant: Variant,
  clock: FrozenClock,
  overrides: Partial<ContractOptions> = {},
  signer: Partial<Red5ProSignerOptions> = {},
): ContractOptions {
  return {
    identify: apiKeyIdentify(variant),
    red5pro: { secret: SECRET, clock, ...signer },
    clock,
    ...overrides,
  };
}

export interface Served {
  readonly agent: Agent;
  /** The framework's app object, to check that callbacks get this app's native request. */
  readonly app: object;
}

/** A real app of this mode with roomkey mounted, ready for supertest. */
export function serve(mode: Pick<Mode, 'variant' | 'bodyParser'>, options: ContractOptions): Served {
  const built = createApp(mode.variant, options, { bodyParser: mode.bodyParser });
  return { agent: request(built.target), app: built.app };
}
