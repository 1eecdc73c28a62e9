import type { TokenProtocol } from '@roomkey/core';
import { EXTRA_ROUTES } from '../config/registry.js';
import type { ServiceConfig } from '../config/service-config.js';

/** A token route: its protocol, and the one token it answers with (none for `/tokens`). */
export interface TokenRoute {
  readonly protocol: TokenProtocol;
  readonly tokenName: string | undefined;
}

/**
 * The token routes: `POST /tokens`, and each route a platform of the registry adds at its path
 * (the Red5 SDK's two, LiveKit's `/livekit-token`), mounted only when its platform is configured
 * and can serve it (LiveKit's endpoint needs LIVEKIT_URL).
 */
export function tokenRoutes(config: Pick<ServiceConfig, 'tokenPlatforms'>): ReadonlyMap<string, TokenRoute> {
  const routes = new Map<string, TokenRoute>([['/tokens', { protocol: 'roomkey', tokenName: undefined }]]);
  for (const { protocol, path, route } of EXTRA_ROUTES) {
    const platform = config.tokenPlatforms.find((candidate) => candidate.tokenName === route.tokenName);
    if (platform === undefined || routes.has(path)) continue;
    try {
      route.checkPlatform?.(platform);
    } catch {
      continue;
    }
    routes.set(path, { protocol, tokenName: route.tokenName });
  }
  return routes;
}
