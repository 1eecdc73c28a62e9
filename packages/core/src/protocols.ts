import type { PlatformRoute, RouteRequest, RouteResult } from './platform.js';
import { BUILT_IN_PLATFORMS } from './platforms/index.js';
import { tokenBodyJson } from './problem.js';

type RoutesOf<P> = P extends { readonly routes?: Readonly<Record<infer Route extends string, PlatformRoute>> }
  ? Route
  : never;

/**
 * How a route speaks. `roomkey` is the HTTP contract in the README (`POST /tokens`); the others
 * are the routes the platforms add (the Red5 WebRTC SDK's `red5-chat` and `red5-conference`).
 */
export type TokenProtocol = 'roomkey' | RoutesOf<(typeof BUILT_IN_PLATFORMS)[number]>;

/** A route's protocol, in the pipeline's terms. */
export type Protocol = PlatformRoute;
export type ProtocolRequest = RouteRequest;
export type ProtocolResult = RouteResult;

const ROOMKEY: PlatformRoute = {
  parse: (body, parseTokenRequest) => ({ request: parseTokenRequest(body) }),
  success: (result) => result,
  render: tokenBodyJson,
};

export const PROTOCOLS: Readonly<Record<TokenProtocol, Protocol>> = Object.freeze(
  Object.assign({ roomkey: ROOMKEY }, ...BUILT_IN_PLATFORMS.map((platform) => platform.routes ?? {})),
);

export const TOKEN_PROTOCOLS: readonly TokenProtocol[] = Object.freeze(Object.keys(PROTOCOLS) as TokenProtocol[]);

/** The protocol of a name, or a `TypeError` for a name that is none. */
export function protocolNamed(name: unknown): Protocol {
  if (typeof name === 'string' && (TOKEN_PROTOCOLS as readonly string[]).includes(name)) {
    return PROTOCOLS[name as TokenProtocol];
  }
  throw new TypeError(`protocol must be one of ${TOKEN_PROTOCOLS.join(', ')}`);
}
