import {
  BUILT_IN_PLATFORMS,
  type PlatformRoute,
  type RequestField,
  type RoomkeyPlatform,
  type ServiceCap,
  type TokenProtocol,
} from '@roomkey/core';

/*
 * What `roomkey serve` and the CLI know about platforms, all read from `@roomkey/core`'s
 * registry: a platform added there (its token names, request and grant fields, routes,
 * environment variables) reaches serve's configuration, caps and routes with no change here.
 */

type AnyPlatform = RoomkeyPlatform<unknown, string, string>;

const PLATFORMS = BUILT_IN_PLATFORMS as readonly AnyPlatform[];

/** A grant field a platform lets serve take as a caller's cap (Red5 Pro's `transports`, LiveKit's `livekit`). */
export interface ServiceCapField {
  readonly name: string;
  readonly cap: ServiceCap;
  /** The platforms that declare it: a caller that can reach one of them needs it when it is required. */
  readonly platforms: readonly AnyPlatform[];
}

/** A route a platform adds beside `/tokens`, with the path serve mounts it at. */
export interface ExtraRoute {
  readonly protocol: TokenProtocol;
  readonly path: string;
  readonly route: PlatformRoute;
}

/** What serve reads from a list of platforms (the registry's: {@link registryView} of `BUILT_IN_PLATFORMS`). */
export interface RegistryView {
  /** Every token name the platforms issue, in their order: the values of a caller's `platforms`. */
  readonly tokenNames: readonly string[];
  /** Every request field they read (shared fields are one object). */
  readonly requestFields: ReadonlyMap<string, RequestField>;
  /**
   * The target caps: a grant list (`rooms`) and the request field it lists values of (`room`),
   * for every target field that a grant lists (`rooms`, `channels`, `sessions`…).
   */
  readonly targetCaps: readonly { readonly list: string; readonly field: string }[];
  /** The grant fields the platforms offer serve as caps. */
  readonly serviceCaps: readonly ServiceCapField[];
  /** Their routes that name a path and the one token they answer with (serve mounts only those). */
  readonly extraRoutes: readonly ExtraRoute[];
  /**
   * Grants that a caller's `platforms` already say: a flag request field (TURN's `"turn": true`)
   * whose platform has a grant field of the same name is granted `true` to a caller that may have
   * that platform's tokens, and is left out (closed) for every other caller.
   */
  readonly flagGrants: readonly { readonly field: string; readonly tokenNames: readonly string[] }[];
}

/** Reads what serve needs from platform definitions. */
export function registryView(platforms: readonly AnyPlatform[]): RegistryView {
  const requestFields = new Map(platforms.flatMap((platform) => Object.entries(platform.requestFields ?? {})));
  const serviceCaps = new Map<string, { name: string; cap: ServiceCap; platforms: AnyPlatform[] }>();
  for (const platform of platforms) {
    for (const [name, field] of Object.entries(platform.grantFields ?? {})) {
      if (field.serviceCap === undefined) continue;
      const entry = serviceCaps.get(name) ?? { name, cap: field.serviceCap, platforms: [] };
      entry.platforms.push(platform);
      serviceCaps.set(name, entry);
    }
  }
  return {
    tokenNames: [...new Set(platforms.flatMap((platform) => platform.tokenNames))],
    requestFields,
    targetCaps: [...requestFields.entries()].flatMap(([field, spec]) =>
      (spec.kind ?? 'target') === 'target' && spec.grantList !== undefined ? [{ list: spec.grantList, field }] : [],
    ),
    serviceCaps: [...serviceCaps.values()],
    flagGrants: platforms.flatMap((platform) =>
      Object.entries(platform.requestFields ?? {}).flatMap(([field, spec]) =>
        spec.kind === 'flag' && platform.grantFields?.[field] !== undefined
          ? [{ field, tokenNames: platform.tokenNames }]
          : [],
      ),
    ),
    extraRoutes: platforms.flatMap((platform) =>
      Object.entries(platform.routes ?? {}).flatMap(([protocol, route]) =>
        route.path !== undefined && route.tokenName !== undefined
          ? [{ protocol: protocol as TokenProtocol, path: route.path, route }]
          : [],
      ),
    ),
  };
}

const VIEW = registryView(PLATFORMS);
export const KNOWN_TOKEN_NAMES = VIEW.tokenNames;
export const REQUEST_FIELDS = VIEW.requestFields;
export const TARGET_CAPS = VIEW.targetCaps;
export const SERVICE_CAPS = VIEW.serviceCaps;
export const EXTRA_ROUTES = VIEW.extraRoutes;
export const FLAG_GRANTS = VIEW.flagGrants;

/**
 * `roomkey serve --help`'s list of platforms, read from the registry: each one's tokens, the
 * variables that configure it, the caps it adds and its routes.
 */
export function platformHelp(): string {
  const lines = PLATFORMS.flatMap((platform) => {
    if (platform.env === undefined) return [];
    const caps = SERVICE_CAPS.filter(({ platforms }) => platforms.includes(platform)).map(({ name }) => name);
    const paths = EXTRA_ROUTES.filter(({ route }) => platform.tokenNames.includes(route.tokenName as string)).map(
      ({ path }) => path,
    );
    return [
      `  ${platform.title}: tokens ${platform.tokenNames.join(', ')}; ${platform.env.variables.join(', ')}` +
        (caps.length > 0 ? `; caps ${caps.join(', ')}` : '') +
        (paths.length > 0 ? `; routes ${paths.join(', ')}` : ''),
    ];
  });
  return (
    "\nPlatforms (from @roomkey/core's registry; a platform is configured when its variables are set):\n" +
    `${lines.join('\n')}\n` +
    `Target caps of a service key or OIDC: ${TARGET_CAPS.map(({ list }) => list).join(', ')}.\n`
  );
}

/** The variables each platform that explains its tokens checks them with, for `roomkey inspect --help`. */
export function explainVariables(): string[] {
  return PLATFORMS.flatMap((platform) =>
    platform.explain === undefined || platform.env === undefined
      ? []
      : [`  ${platform.title}: ${platform.env.variables.join(', ')}`],
  );
}

export { PLATFORMS };
