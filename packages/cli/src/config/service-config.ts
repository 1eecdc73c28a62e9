import { readFileSync } from 'node:fs';
import {
  BEARER_JWT_ALGORITHMS,
  type BearerJwtIdentityOptions,
  bearerJwtIdentity,
  ROLES,
  type Role,
} from '@roomkey/core';
import { closestMatch } from 'leven';
import * as v from 'valibot';
import { type PlatformEnvironment, type PlatformSigners, readPlatformEnvironment } from './platform-env.js';
import { KNOWN_TOKEN_NAMES, PLATFORMS, REQUEST_FIELDS, SERVICE_CAPS, TARGET_CAPS } from './registry.js';

/** A configuration mistake: every problem found, one per line, each with its path or variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** A token name of `@roomkey/core`'s registry (`red5pro`, `conference`, `chat`, `vonage`, `livekit`…). */
export type TokenName = string;

/** `points/seconds`, such as `30/60`. */
const WINDOW = /^(\d{1,6})\/(\d{1,6})$/;
/** A room, channel or session pattern: the name characters, with `*` for any run of them. */
const PATTERN = /^[A-Za-z0-9*][A-Za-z0-9._*-]{0,127}$/;

const port = (what: string) =>
  v.pipe(
    v.number(`${what} must be a port number`),
    v.integer(`${what} must be a whole number`),
    v.minValue(0, `${what} must be 0 to 65535`),
    v.maxValue(65535, `${what} must be 0 to 65535`),
  );
const bool = (what: string) => v.boolean(`${what} must be true or false`);
const targets = (what: string) =>
  v.union(
    [
      v.literal('any'),
      v.array(
        v.pipe(
          v.string(),
          v.regex(PATTERN, `each of ${what} must be a name or a pattern with * (A-Z a-z 0-9 . _ - *)`),
          notOnlyStars(what),
        ),
      ),
    ],
    `${what} must be "any" or an array of names and patterns such as "class-*"`,
  );
/**
 * A pattern of only `*` matches everything: "any" is written out, never implied by a pattern
 * (closed by omission, open only when said).
 */
const notOnlyStars = (what: string) =>
  v.check(
    (pattern: string) => !/^\*+$/.test(pattern),
    `a pattern of only * in ${what} matches every name: write "any" if that is what you mean`,
  );
/**
 * A user id a backend may name in Roomkey-User, and the characters of a user pattern (with `*`
 * for any run): 1-256 visible ASCII characters, but no comma (HTTP joins repeated headers with
 * one, so `kiosk-1,alice` would pass `kiosk-*`), double quote or backslash.
 */
export const USER_ID = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,256}$/;
const USER_ID_RULE = '1-256 visible ASCII characters other than , " and \\';
const usersMessage = 'users must be "any" or a non-empty array of user names and patterns such as "kiosk-*"';
const users = v.union(
  [
    v.literal('any'),
    v.pipe(
      v.array(
        v.pipe(
          v.string(usersMessage),
          v.regex(USER_ID, `each of users must be ${USER_ID_RULE} (no spaces), * for any run`),
          notOnlyStars('users'),
        ),
      ),
      v.minLength(1, usersMessage),
    ),
  ],
  usersMessage,
);
/** An origin a browser sends: `scheme://host[:port]`, checked in {@link checkOrigins}. */
const origins = v.array(v.string('each of origins must be a string'), 'origins must be an array of origins');
const minutes = v.pipe(
  v.number('ttlMinutes must be a number'),
  v.integer('ttlMinutes must be a whole number'),
  v.minValue(1, 'ttlMinutes must be at least 1'),
  v.maxValue(43_200, 'ttlMinutes must be at most 43200 (30 days)'),
);
const role = v.picklist(ROLES, `must be one of ${ROLES.join(', ')}`);

const platformsMessage = `platforms must be "any" or a non-empty array of ${KNOWN_TOKEN_NAMES.join(', ')}`;

/**
 * What one caller (a service key, or everyone signed in through OIDC) may have at most, as the
 * platforms of the registry declare it: a target cap per grant list (`rooms`, `channels`,
 * `sessions`…), the token names, each platform's own caps (Red5 Pro's `transports`, LiveKit's
 * `livekit`), the lifetime. Closed by omission: absent targets are none; platforms must be
 * given; a caller that can reach a platform whose cap is required must set it ({@link build}).
 */
const policyEntries = {
  ...Object.fromEntries(TARGET_CAPS.map(({ list }) => [list, v.optional(targets(list))])),
  platforms: v.union(
    [
      v.literal('any'),
      v.pipe(
        v.array(v.picklist(KNOWN_TOKEN_NAMES, `each platform must be one of ${KNOWN_TOKEN_NAMES.join(', ')}`)),
        v.minLength(1, platformsMessage),
      ),
    ],
    platformsMessage,
  ),
  ...Object.fromEntries(SERVICE_CAPS.map(({ name, cap }) => [name, v.optional(cap.schema)])),
  ttlMinutes: v.optional(minutes),
} as const satisfies v.ObjectEntries;

/** The message of an unknown setting; {@link describe} replaces it with the closest known one. */
const unknownKey = 'is not a known setting';

const ServiceKeySchema = v.strictObject(
  {
    name: v.pipe(
      v.string('name must be a string'),
      v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'name must be 1-64 of A-Z a-z 0-9 . _ -'),
    ),
    sha256: v.pipe(
      v.string('sha256 must be a string'),
      v.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits (roomkey service-key prints it)'),
    ),
    role,
    users,
    ...policyEntries,
  },
  unknownKey,
);

const OidcSchema = v.strictObject(
  {
    issuer: v.string('issuer must be the identity provider issuer URL'),
    audience: v.union([v.string(), v.array(v.string())], 'audience must be a string or an array of strings'),
    jwksUrl: v.optional(v.string('jwksUrl must be a URL')),
    algorithms: v.optional(
      v.array(v.picklist(BEARER_JWT_ALGORITHMS, `algorithms may hold ${BEARER_JWT_ALGORITHMS.join(', ')}`)),
    ),
    clockToleranceSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(300))),
    jwksCooldownSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400))),
    jwksCacheMaxAgeSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86_400))),
    jwksStaleIfErrorSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(604_800))),
    timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(60_000))),
    authorizedParties: v.optional(
      v.union(
        [v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1))],
        'authorizedParties must be your client id at the provider, or an array of them',
      ),
    ),
    requiredType: v.optional(v.string('requiredType must be a token type such as at+jwt')),
    subjectClaim: v.optional(v.string('subjectClaim must be a claim name')),
    rolesClaim: v.optional(
      v.union(
        [v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1))],
        'rolesClaim must be a claim name, or an array naming a path such as ["realm_access", "roles"]',
      ),
    ),
    roleMap: v.optional(v.record(v.string(), role, 'roleMap must map provider role names to roomkey roles')),
    defaultRole: v.optional(role),
    ...policyEntries,
  },
  unknownKey,
);

const FileSchema = v.strictObject(
  {
    $schema: v.optional(v.string()),
    listen: v.optional(
      v.strictObject(
        { host: v.optional(v.string('host must be a string')), port: v.optional(port('port')) },
        unknownKey,
      ),
    ),
    metrics: v.optional(
      v.strictObject(
        {
          enabled: v.optional(bool('enabled')),
          port: v.optional(port('port')),
          host: v.optional(v.string('host must be a string')),
        },
        unknownKey,
      ),
    ),
    cors: v.optional(v.strictObject({ origins: v.optional(origins) }, unknownKey)),
    shutdownTimeoutSeconds: v.optional(
      v.pipe(v.number(), v.integer(), v.minValue(1, 'at least 1'), v.maxValue(600, 'at most 600')),
    ),
    requireHttps: v.optional(bool('requireHttps')),
    trustProxy: v.optional(bool('trustProxy')),
    rateLimit: v.optional(
      v.strictObject(
        {
          tokens: v.optional(v.pipe(v.string(), v.regex(WINDOW, 'must be points/seconds, such as 30/60'))),
          failures: v.optional(v.pipe(v.string(), v.regex(WINDOW, 'must be points/seconds, such as 10/300'))),
        },
        unknownKey,
      ),
    ),
    identity: v.optional(
      v.strictObject(
        {
          oidc: v.optional(OidcSchema),
          service: v.optional(
            v.strictObject({ keys: v.array(ServiceKeySchema, 'keys must be an array of service keys') }, unknownKey),
          ),
        },
        unknownKey,
      ),
    ),
  },
  unknownKey,
);

type FileConfig = v.InferOutput<typeof FileSchema>;

/**
 * The most a caller may have: token names, lifetime, and under the registry's names each target
 * cap (`rooms`: `"any"` or patterns; absent in the file: none, `[]`) and each platform cap
 * (Red5 Pro's `transports`, upper case; LiveKit's `livekit`; absent: not granted).
 */
export interface Policy {
  readonly platforms: 'any' | readonly TokenName[];
  readonly ttlMinutes: number | undefined;
  readonly [cap: string]: unknown;
}

export interface ServiceKeyEntry extends Policy {
  readonly name: string;
  readonly sha256: string;
  readonly role: Role;
  /** The users this key may name in Roomkey-User: exact names or `*` patterns, or `any`. */
  readonly users: 'any' | readonly string[];
}

export interface OidcSettings extends Policy {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly jwksUrl: string | undefined;
  readonly algorithms: readonly (typeof BEARER_JWT_ALGORITHMS)[number][] | undefined;
  readonly clockToleranceSeconds: number | undefined;
  readonly jwksCooldownSeconds: number | undefined;
  readonly jwksCacheMaxAgeSeconds: number | undefined;
  readonly jwksStaleIfErrorSeconds: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly authorizedParties: string | readonly string[] | undefined;
  readonly requiredType: string | undefined;
  readonly subjectClaim: string;
  readonly rolesClaim: readonly string[];
  readonly roleMap: Readonly<Record<string, Role>>;
  readonly defaultRole: Role | undefined;
}

export interface RateWindow {
  readonly points: number;
  readonly duration: number;
}

/** Everything `roomkey serve` runs with, checked. */
export interface ServiceConfig {
  readonly host: string;
  readonly port: number;
  /** `false` (the default): no /metrics. Else its own listener, on loopback unless `metrics.host` says otherwise. */
  readonly metrics: false | { readonly port: number; readonly host: string };
  /** Browser origins answered with CORS headers, exactly as browsers send them; none by default. */
  readonly corsOrigins: readonly string[];
  readonly shutdownTimeoutMs: number;
  readonly requireHttps: boolean;
  readonly trustProxy: boolean;
  readonly rateLimit: { readonly tokens?: RateWindow; readonly failures?: RateWindow };
  /** Shared limits across instances (ROOMKEY_REDIS_URL): may hold a password, so never logged. */
  readonly redisUrl: string | undefined;
  readonly platforms: PlatformSigners;
  readonly tokenNames: readonly string[];
  /** The token platforms made from {@link platforms}, once (each caller's issuer takes the ones it may have). */
  readonly tokenPlatforms: PlatformEnvironment['tokenPlatforms'];
  readonly oidc: OidcSettings | undefined;
  readonly serviceKeys: readonly ServiceKeyEntry[];
  readonly production: boolean;
}

/** Environment variables that override a setting of the file, with the path they fill. */
const OVERRIDES: readonly { variable: string; path: readonly string[]; parse: (raw: string) => unknown }[] = [
  { variable: 'PORT', path: ['listen', 'port'], parse: numberOrText },
  { variable: 'HOST', path: ['listen', 'host'], parse: (raw) => raw },
  { variable: 'REQUIRE_HTTPS', path: ['requireHttps'], parse: booleanOrText },
  { variable: 'TRUST_PROXY', path: ['trustProxy'], parse: booleanOrText },
  { variable: 'RATE_LIMIT_TOKENS', path: ['rateLimit', 'tokens'], parse: (raw) => raw },
  { variable: 'RATE_LIMIT_FAILURES', path: ['rateLimit', 'failures'], parse: (raw) => raw },
  { variable: 'ROOMKEY_OIDC_ISSUER', path: ['identity', 'oidc', 'issuer'], parse: (raw) => raw },
  { variable: 'ROOMKEY_OIDC_AUDIENCE', path: ['identity', 'oidc', 'audience'], parse: list },
  { variable: 'ROOMKEY_OIDC_JWKS_URL', path: ['identity', 'oidc', 'jwksUrl'], parse: (raw) => raw },
  { variable: 'ROOMKEY_OIDC_AUTHORIZED_PARTIES', path: ['identity', 'oidc', 'authorizedParties'], parse: list },
  { variable: 'ROOMKEY_OIDC_REQUIRED_TYPE', path: ['identity', 'oidc', 'requiredType'], parse: (raw) => raw },
  {
    variable: 'ROOMKEY_OIDC_JWKS_COOLDOWN_SECONDS',
    path: ['identity', 'oidc', 'jwksCooldownSeconds'],
    parse: numberOrText,
  },
  {
    variable: 'ROOMKEY_OIDC_JWKS_CACHE_MAX_AGE_SECONDS',
    path: ['identity', 'oidc', 'jwksCacheMaxAgeSeconds'],
    parse: numberOrText,
  },
  {
    variable: 'ROOMKEY_OIDC_JWKS_STALE_IF_ERROR_SECONDS',
    path: ['identity', 'oidc', 'jwksStaleIfErrorSeconds'],
    parse: numberOrText,
  },
  { variable: 'ROOMKEY_OIDC_TIMEOUT_MS', path: ['identity', 'oidc', 'timeoutMs'], parse: numberOrText },
  // ROOMKEY_OIDC_ROOMS, _CHANNELS, _SESSIONS…: one per target cap of the registry.
  ...TARGET_CAPS.map(({ list }) => oidcCapVariable(list)),
  { variable: 'ROOMKEY_OIDC_PLATFORMS', path: ['identity', 'oidc', 'platforms'], parse: anyOrList },
  // ROOMKEY_OIDC_TRANSPORTS…: one per platform cap that is a list.
  ...SERVICE_CAPS.filter(({ cap }) => cap.list === true).map(({ name }) => oidcCapVariable(name)),
  { variable: 'ROOMKEY_CORS_ORIGINS', path: ['cors', 'origins'], parse: list },
];

/** `ROOMKEY_OIDC_<CAP>`, read as `any` or a comma-separated list. */
function oidcCapVariable(cap: string): { variable: string; path: readonly string[]; parse: (raw: string) => unknown } {
  return { variable: oidcVariable(cap), path: ['identity', 'oidc', cap], parse: anyOrList };
}
function oidcVariable(cap: string): string {
  return `ROOMKEY_OIDC_${cap.toUpperCase()}`;
}

function numberOrText(raw: string): unknown {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}
function booleanOrText(raw: string): unknown {
  return raw === 'true' ? true : raw === 'false' ? false : raw;
}
function list(raw: string): string[] {
  return raw.split(',').map((entry) => entry.trim());
}
/** `any`, or a comma-separated list (an empty entry stays, so that the schema reports it). */
function anyOrList(raw: string): unknown {
  return raw.trim() === 'any' ? 'any' : list(raw);
}

export interface LoadOptions {
  readonly env: NodeJS.ProcessEnv;
  /** The configuration file (`--config`, else ROOMKEY_CONFIG). Optional: the environment may say it all. */
  readonly file?: string | undefined;
}

/**
 * Reads `roomkey serve`'s configuration: the JSON file for structure (identity, caps, metrics),
 * environment variables for secrets and for the settings they override. Throws a
 * {@link ConfigError} listing every mistake, each with its path in the file or its variable.
 */
export function loadServiceConfig({ env, file }: LoadOptions): ServiceConfig {
  const path = file ?? (env.ROOMKEY_CONFIG || undefined);
  const raw = path === undefined ? {} : readJsonFile(path);
  const origins = new Map<string, string>();
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const { variable, path: target, parse } of OVERRIDES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    setPath(merged, target, parse(value));
    origins.set(target.join('.'), variable);
  }
  const result = v.safeParse(FileSchema, merged);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.issues) problems.push(describe(issue, origins, path));
  }
  let platformEnv: ReturnType<typeof readPlatformEnvironment> | undefined;
  try {
    platformEnv = readPlatformEnvironment(env);
  } catch (error) {
    problems.push(...(error as Error).message.split('\n'));
  }
  if (problems.length > 0 || !result.success || platformEnv === undefined) throw new ConfigError(problems);
  return build(result.output, platformEnv, env);
}

function build(config: FileConfig, platformEnv: PlatformEnvironment, env: NodeJS.ProcessEnv): ServiceConfig {
  const { platforms, tokenNames, tokenPlatforms } = platformEnv;
  const problems: string[] = [];
  if (tokenNames.length === 0) {
    problems.push(
      `no platform is configured: set the variables of at least one (roomkey serve --help lists them): ${PLATFORMS.flatMap(
        (platform) => (platform.env === undefined ? [] : [`${platform.title} (${platform.env.variables.join(', ')})`]),
      ).join('; ')}`,
    );
  }
  const oidcFile = config.identity?.oidc as PolicyEntry | undefined;
  const keys = (config.identity?.service?.keys ?? []) as readonly (PolicyEntry & KeyFields)[];
  if (oidcFile === undefined && keys.length === 0) {
    problems.push(
      'no identity is configured: set ROOMKEY_OIDC_ISSUER and ROOMKEY_OIDC_AUDIENCE (browsers with access tokens), ' +
        'or add service keys to identity.service.keys in the configuration file (backends)',
    );
  }
  const names = new Set<string>();
  keys.forEach((key, index) => {
    if (names.has(key.name)) problems.push(`identity.service.keys[${index}].name: "${key.name}" is used twice`);
    names.add(key.name);
    checkPlatforms(`identity.service.keys[${index}]`, key, tokenNames, problems);
    checkRequiredCaps(`identity.service.keys[${index}]`, 'this key', key, platformEnv, problems);
    checkReach(`identity.service.keys[${index}]`, 'this key', key, tokenPlatforms, problems);
  });
  const hashes = keys.map((key) => key.sha256);
  if (new Set(hashes).size !== hashes.length) problems.push('identity.service.keys: two entries have the same sha256');
  if (oidcFile !== undefined) {
    checkReach('identity.oidc', 'signed-in users', oidcFile, tokenPlatforms, problems, true);
    checkPlatforms('identity.oidc', oidcFile, tokenNames, problems);
    checkRequiredCaps('identity.oidc', 'every signed-in user', oidcFile, platformEnv, problems, true);
  }
  const corsOrigins = checkOrigins(
    config.cors?.origins ?? [],
    env.ROOMKEY_CORS_ORIGINS ? 'ROOMKEY_CORS_ORIGINS' : 'cors.origins',
    problems,
  );
  const rateLimit = {
    ...(config.rateLimit?.tokens !== undefined && { tokens: window(config.rateLimit.tokens) }),
    ...(config.rateLimit?.failures !== undefined && { failures: window(config.rateLimit.failures) }),
  };
  const redisUrl = env.ROOMKEY_REDIS_URL || undefined;
  if (redisUrl !== undefined && Object.keys(rateLimit).length === 0) {
    problems.push('ROOMKEY_REDIS_URL is set but no rate limit is: set RATE_LIMIT_TOKENS and/or RATE_LIMIT_FAILURES');
  }
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('ROOMKEY_REDIS_URL must be a redis:// or rediss:// URL');
  }
  const metrics = metricsSetting(config, env, problems);
  const oidc = oidcFile === undefined ? undefined : oidcSettings(oidcFile);
  if (oidc !== undefined) {
    try {
      // The same checks the service applies when it starts (URLs, algorithms…), made now.
      bearerJwtIdentity(bearerOptions(oidc));
    } catch (error) {
      problems.push(`identity.oidc: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const production = env.NODE_ENV === 'production';
  return {
    host: config.listen?.host ?? '127.0.0.1',
    port: config.listen?.port ?? 3000,
    metrics,
    shutdownTimeoutMs: (config.shutdownTimeoutSeconds ?? 10) * 1000,
    requireHttps: config.requireHttps ?? production,
    trustProxy: config.trustProxy ?? false,
    corsOrigins,
    rateLimit,
    redisUrl,
    platforms,
    tokenNames,
    tokenPlatforms,
    oidc,
    serviceKeys: keys.map((key) => ({
      ...policy(key),
      name: key.name,
      sha256: key.sha256,
      role: key.role,
      users: key.users,
    })),
    production,
  };
}

function metricsSetting(config: FileConfig, env: NodeJS.ProcessEnv, problems: string[]): ServiceConfig['metrics'] {
  const raw = env.ROOMKEY_METRICS_PORT;
  if (raw === 'off') return false;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
      problems.push('ROOMKEY_METRICS_PORT must be a port number, or off');
      return false;
    }
    return { port: Number(raw), host: config.metrics?.host ?? '127.0.0.1' };
  }
  // Off unless asked for: process details are nobody's business on the token port.
  const wanted = config.metrics?.enabled ?? config.metrics?.port !== undefined;
  if (config.metrics === undefined || !wanted) return false;
  return { port: config.metrics.port ?? DEFAULT_METRICS_PORT, host: config.metrics.host ?? '127.0.0.1' };
}

/** Prometheus exporters' customary port, for `metrics.enabled: true` without a port. */
const DEFAULT_METRICS_PORT = 9464;

/** A policy as the file (or the environment) says it, checked by the schema: target and platform caps by name. */
interface PolicyEntry {
  readonly platforms: 'any' | TokenName[];
  readonly ttlMinutes?: number | undefined;
  readonly [cap: string]: unknown;
}

/** A service key's own fields, beside its policy. */
interface KeyFields {
  readonly name: string;
  readonly sha256: string;
  readonly role: Role;
  readonly users: 'any' | string[];
}

/** Whether a caller's `platforms` let it have a token name. */
const allows = (entry: PolicyEntry, tokenName: string) =>
  entry.platforms === 'any' || entry.platforms.includes(tokenName);

/** Every platform a caller names must be configured (its credentials in the environment). */
function checkPlatforms(where: string, entry: PolicyEntry, tokenNames: readonly string[], problems: string[]): void {
  const unknown = entry.platforms === 'any' ? [] : entry.platforms.filter((name) => !tokenNames.includes(name));
  if (unknown.length > 0) {
    problems.push(
      `${where}.platforms: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not configured (no credentials in the environment)`,
    );
  }
}

/**
 * A caller that can reach a platform whose cap is required (Red5 Pro's `transports`: its
 * platforms name one of its tokens, or are "any" while it is configured) must set that cap: left
 * out, every one of the platform's tokens would be refused.
 */
function checkRequiredCaps(
  where: string,
  who: string,
  entry: PolicyEntry,
  { configured }: PlatformEnvironment,
  problems: string[],
  oidc = false,
): void {
  for (const { name, cap, platforms } of SERVICE_CAPS) {
    if (cap.required !== true || entry[name] !== undefined) continue;
    for (const platform of platforms) {
      if (!configured.includes(platform)) {
        // Not configured: a caller naming its tokens is told so by checkPlatforms.
        continue;
      }
      const named = entry.platforms === 'any' ? undefined : platform.tokenNames.find((token) => allows(entry, token));
      const because =
        entry.platforms === 'any'
          ? `platforms is "any" and ${platform.title} is configured (${platform.env?.variables[0] ?? platform.option})`
          : named === undefined
            ? undefined
            : `platforms include ${named}`;
      if (because === undefined) continue;
      problems.push(
        `${where}.${name}${oidc && cap.list === true ? ` (or ${oidcVariable(name)})` : ''}: ${because}, so say which ` +
          `${platform.title} ${name} ${who} may use: ${cap.hint}`,
      );
      break;
    }
  }
}

/**
 * A caller that can reach nothing (its platforms are addressed by targets, such as rooms, that
 * its caps leave empty) would only ever be refused: a mistake, said at start-up. A platform
 * addressed by a field no grant lists (a flag such as TURN's) is reachable as it is.
 */
function checkReach(
  where: string,
  who: string,
  entry: PolicyEntry,
  tokenPlatforms: PlatformEnvironment['tokenPlatforms'],
  problems: string[],
  oidc = false,
): void {
  const reachable = tokenPlatforms.filter((platform) => allows(entry, platform.tokenName));
  if (reachable.length === 0) return; // said by checkPlatforms
  const lists = reachable.map(
    (platform) =>
      (REQUEST_FIELDS.get(platform.addressedBy) ?? platform.requestFields?.[platform.addressedBy])?.grantList,
  );
  if (lists.some((list) => list === undefined)) return;
  const needed = [...new Set(lists as string[])];
  if (needed.some((list) => entry[list] !== undefined)) return;
  if (oidc && TARGET_CAPS.every(({ list }) => entry[list] === undefined)) {
    const named = TARGET_CAPS.map(({ list }, index) => `${list} (${index === 0 ? 'or ' : ''}${oidcVariable(list)})`);
    problems.push(
      `identity.oidc: say what signed-in users may enter: ${named.slice(0, -1).join(', ')} or ${named.at(-1)}, ` +
        'each "any" or a list of patterns',
    );
    return;
  }
  problems.push(
    `${where}: ${who} can reach nothing: its platforms (${reachable.map(({ tokenName }) => tokenName).join(', ')}) ` +
      `need ${needed.join(' or ')}, which it leaves out: add them ("any" or patterns), or change platforms`,
  );
}

/**
 * The CORS allow-list, each origin exactly as a browser sends it in `Origin`: `scheme://host`
 * with an optional port, no path, no trailing slash, no wildcard.
 */
function checkOrigins(values: readonly string[], where: string, problems: string[]): string[] {
  const checked: string[] = [];
  values.forEach((value, index) => {
    let origin: string | undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {
      // Not a URL: said below.
    }
    if (origin === undefined || origin !== value || value.includes('*')) {
      problems.push(
        `${where}[${index}]: each origin must be scheme://host[:port] as browsers send it ` +
          `(such as https://app.example.com or http://localhost:5173: http or https, no path, no trailing slash, no *)` +
          (origin !== undefined && !value.includes('*') ? `; write ${origin}` : ''),
      );
      return;
    }
    checked.push(origin);
  });
  return [...new Set(checked)];
}

function policy(entry: PolicyEntry): Policy {
  return {
    // Absent targets are none.
    ...Object.fromEntries(TARGET_CAPS.map(({ list }) => [list, entry[list] ?? []])),
    // A list cap keeps each value once (`WHIP, whep, WHEP` is WHIP and WHEP).
    ...Object.fromEntries(
      SERVICE_CAPS.map(({ name }) => {
        const value = entry[name];
        return [name, Array.isArray(value) ? [...new Set(value)] : value];
      }),
    ),
    platforms: entry.platforms,
    ttlMinutes: entry.ttlMinutes,
  };
}

function oidcSettings(file: PolicyEntry): OidcSettings {
  const oidc = file as PolicyEntry & NonNullable<NonNullable<FileConfig['identity']>['oidc']>;
  const rolesClaim = oidc.rolesClaim ?? 'roles';
  return {
    ...policy(oidc),
    issuer: oidc.issuer,
    audience: oidc.audience,
    jwksUrl: oidc.jwksUrl,
    algorithms: oidc.algorithms,
    clockToleranceSeconds: oidc.clockToleranceSeconds,
    jwksCooldownSeconds: oidc.jwksCooldownSeconds,
    jwksCacheMaxAgeSeconds: oidc.jwksCacheMaxAgeSeconds,
    jwksStaleIfErrorSeconds: oidc.jwksStaleIfErrorSeconds,
    timeoutMs: oidc.timeoutMs,
    authorizedParties: oidc.authorizedParties,
    requiredType: oidc.requiredType,
    subjectClaim: oidc.subjectClaim ?? 'sub',
    rolesClaim: typeof rolesClaim === 'string' ? [rolesClaim] : rolesClaim,
    // By default the claim holds roomkey's own role names.
    roleMap: oidc.roleMap ?? Object.fromEntries(ROLES.map((name) => [name, name])),
    defaultRole: oidc.defaultRole,
  };
}

/** The settings passed on to `bearerJwtIdentity` as they are, when set. */
const BEARER_SETTINGS = [
  'jwksUrl',
  'algorithms',
  'clockToleranceSeconds',
  'jwksCooldownSeconds',
  'jwksCacheMaxAgeSeconds',
  'jwksStaleIfErrorSeconds',
  'timeoutMs',
  'authorizedParties',
  'requiredType',
  'subjectClaim',
] as const satisfies readonly (keyof OidcSettings & keyof BearerJwtIdentityOptions)[];

/** What `bearerJwtIdentity` receives from these settings. */
export function bearerOptions(settings: OidcSettings): BearerJwtIdentityOptions {
  const options: Record<string, unknown> = { issuer: settings.issuer, audience: settings.audience };
  for (const name of BEARER_SETTINGS) {
    if (settings[name] !== undefined) options[name] = settings[name];
  }
  return options as unknown as BearerJwtIdentityOptions;
}

function window(text: string): RateWindow {
  const [, points, duration] = WINDOW.exec(text) as RegExpExecArray;
  return { points: Math.max(1, Number(points)), duration: Math.max(1, Number(duration)) };
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `cannot read the configuration file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  try {
    // A byte order mark is how some editors start a UTF-8 file; Node's own JSON loader skips it too.
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError([`${path}: the configuration must be a JSON object`]);
    }
    return value;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([`${path} is not valid JSON: ${(error as Error).message}`]);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** `identity.service.keys[1].rooms[0]: …`, or the variable that set the value. */
function describe(issue: v.BaseIssue<unknown>, origins: Map<string, string>, file: string | undefined): string {
  const parts: string[] = [];
  for (const item of issue.path ?? []) {
    const key = item.key as string | number;
    if (typeof key === 'number') parts.push(`[${key}]`);
    else parts.push(parts.length === 0 ? key : `.${key}`);
  }
  const dotted = parts.join('');
  const plainPath = (issue.path ?? []).map((item) => String(item.key)).join('.');
  for (const [path, variable] of origins) {
    if (plainPath === path || plainPath.startsWith(`${path}.`)) return `${variable} (${dotted}): ${issue.message}`;
  }
  const where = dotted === '' ? (file ?? 'configuration') : dotted;
  // A strict object reports a missing setting and an unknown one with the same message.
  if (issue.type === 'strict_object' && issue.expected === 'never') return `${where}: ${unknownSetting(issue)}`;
  if (issue.type === 'strict_object' && issue.received === 'undefined') {
    const variable = OVERRIDES.find((override) => override.path.join('.') === plainPath)?.variable;
    const key = String(issue.path?.at(-1)?.key ?? '');
    return `${where}${variable === undefined ? '' : ` (or ${variable})`}: ${REQUIRED[key] ?? 'is required'}`;
  }
  return `${where}: ${issue.message}`;
}

/** Looks like a secret: such a setting never belongs in the file. */
const SECRET_LIKE = /secret|password|passwd|private|credential|token|apikey|api_key|masterkey/i;

/** `unknown setting "room" (did you mean "rooms"?)`, with the secrets hint only for a secret's name. */
function unknownSetting(issue: v.BaseIssue<unknown>): string {
  const name = String(issue.path?.at(-1)?.key ?? '');
  if (!/^[\w$.-]{1,64}$/.test(name)) return 'an unknown setting with an unusual name';
  const known = knownSettings((issue.path ?? []).slice(0, -1).map((item) => item.key));
  const lower = known.map((key) => key.toLowerCase());
  const match = closestMatch(name.toLowerCase(), lower, { maxDistance: Math.max(2, Math.floor(name.length / 3)) });
  const near = match === undefined ? undefined : known[lower.indexOf(match)];
  const hint =
    near !== undefined
      ? ` (did you mean "${near}"?)`
      : SECRET_LIKE.test(name)
        ? ' (secrets come from environment variables, never from this file)'
        : known.length > 0
          ? ` (known here: ${known.join(', ')})`
          : '';
  return `unknown setting "${name}"${hint}`;
}

/** The settings the schema knows at a path of the file (array indexes skipped). */
function knownSettings(path: readonly unknown[]): string[] {
  type Node = { type?: string; wrapped?: Node; item?: Node; entries?: Record<string, Node> } | undefined;
  const unwrap = (node: Node): Node => {
    let current = node;
    while (current?.type === 'optional' || current?.type === 'array') {
      current = current.type === 'optional' ? current.wrapped : current.item;
    }
    return current;
  };
  let node = unwrap(FileSchema as Node);
  for (const key of path) if (typeof key === 'string') node = unwrap(node?.entries?.[key]);
  return Object.keys(node?.entries ?? {}).filter((key) => key !== '$schema');
}

/** What to write for a required setting that is missing. */
const REQUIRED: Readonly<Record<string, string>> = {
  platforms: `is required: "any", or the tokens this caller may have (a list of ${KNOWN_TOKEN_NAMES.join(', ')})`,
  issuer: "is required: the identity provider's issuer URL",
  audience: 'is required: the API identifier its access tokens carry in aud',
  name: 'is required: a name for logs (1-64 of A-Z a-z 0-9 . _ -)',
  sha256: "is required: the key's SHA-256 (roomkey service-key prints it)",
  role: `is required: the highest role, one of ${ROLES.join(', ')}`,
  keys: 'is required: an array of service keys',
  users:
    'is required: the users this key may act for (Roomkey-User): a list of names and patterns such as ' +
    '["kiosk-*"], or "any" to let it act for every user, OIDC users included',
};
