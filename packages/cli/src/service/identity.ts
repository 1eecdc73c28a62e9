import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type AuthorizeContext,
  type BearerJwtIdentity,
  bearerJwtIdentity,
  type Grant,
  HttpProblem,
  type Identity,
  isRoomkeyError,
  type Logger,
  ROLES,
  type Role,
  roleIncludes,
  type TokenRequest,
} from '@roomkey/core';
import type { JWTPayload } from 'jose';
import { FLAG_GRANTS, SERVICE_CAPS, TARGET_CAPS } from '../config/registry.js';
import {
  bearerOptions,
  type OidcSettings,
  type Policy,
  type ServiceConfig,
  type ServiceKeyEntry,
  USER_ID,
} from '../config/service-config.js';
import { compileTargets, type TargetMatcher } from './glob.js';
import { matchServiceKey, SERVICE_KEY_PATTERN } from './service-keys.js';

/** The header a backend names its user in, when it calls with a service key. */
export const USER_HEADER = 'roomkey-user';

/** A policy with its patterns compiled, once, at start-up. */
interface Caps {
  /** Each target cap's matcher with the request field it checks: `rooms` matches `room`. */
  readonly targets: readonly { readonly list: string; readonly field: string; readonly matcher: TargetMatcher }[];
  /** The platform caps the policy sets (Red5 Pro's `transports`, LiveKit's `livekit`), passed into every grant. */
  readonly granted: Readonly<Record<string, unknown>>;
  readonly ttlMinutes: number | undefined;
}

/** Who is asking and what they may have at most; kept beside the identity the core passes around. */
interface Principal {
  readonly role: Role;
  readonly caps: Caps;
  readonly key: string | undefined;
}

function compileCaps(policy: Policy): Caps {
  return {
    targets: TARGET_CAPS.map(({ list, field }) => ({
      list,
      field,
      matcher: compileTargets((policy[list] ?? []) as 'any' | readonly string[]),
    })),
    granted: Object.fromEntries([
      ...SERVICE_CAPS.flatMap(({ name }) => (policy[name] === undefined ? [] : [[name, policy[name]]])),
      // A flag a caller's platforms allow (TURN's turn: true) is granted; any other stays closed.
      ...FLAG_GRANTS.flatMap(({ field, tokenNames }) =>
        policy.platforms === 'any' || tokenNames.some((name) => policy.platforms.includes(name)) ? [[field, true]] : [],
      ),
    ]),
    ttlMinutes: policy.ttlMinutes,
  };
}

/** A service key's caps and users, compiled. */
interface CompiledKey {
  readonly caps: Caps;
  readonly users: TargetMatcher;
}

/** Checks that the tokens of the caller's issuer can carry a user id (`TokenIssuer.checkUserId`). */
export type UserIdCheck = (userId: string) => void;

/** How many unusable subjects are remembered, so that each is warned about once; then it starts over. */
const WARNED_SUBJECTS = 1000;

export interface ServiceIdentity {
  /** The service key an `Authorization: Bearer rk_…` header presents, if it is one of ours. */
  keyFor(req: IncomingMessage): ServiceKeyEntry | undefined;
  /** Who is asking; `checkUserId` is the caller's issuer's, so that a user id its tokens cannot carry is refused clearly. */
  identify(req: IncomingMessage, checkUserId: UserIdCheck): Promise<Identity>;
  authorize(context: AuthorizeContext<IncomingMessage>): Grant;
  /** The service key's name an identity came with (for logs). */
  keyName(identity: Identity): string | undefined;
}

export function createServiceIdentity(config: ServiceConfig, logger: Logger): ServiceIdentity {
  const principals = new WeakMap<Identity, Principal>();
  const matched = new WeakMap<IncomingMessage, ServiceKeyEntry | null>();
  const challenge = 'Bearer realm="roomkey"';
  const oidc = config.oidc === undefined ? undefined : oidcIdentity(config.oidc, principals, logger);
  const compiled = new Map<ServiceKeyEntry, CompiledKey>(
    config.serviceKeys.map((key) => [key, { caps: compileCaps(key), users: compileTargets(key.users) }]),
  );

  const keyFor = (req: IncomingMessage): ServiceKeyEntry | undefined => {
    const cached = matched.get(req);
    if (cached !== undefined) return cached ?? undefined;
    const token = /^Bearer (rk_\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const entry =
      token !== undefined && SERVICE_KEY_PATTERN.test(token) ? matchServiceKey(token, config.serviceKeys) : undefined;
    matched.set(req, entry ?? null);
    return entry;
  };

  return {
    keyFor,
    async identify(req, checkUserId) {
      const looksLikeKey = /^Bearer rk_/i.test(req.headers.authorization ?? '');
      if (looksLikeKey && config.serviceKeys.length > 0) {
        const entry = keyFor(req);
        if (entry === undefined) {
          throw new HttpProblem('unauthenticated', 'The service key is not valid.', {
            'www-authenticate': `${challenge}, error="invalid_token", error_description="The service key is not valid"`,
          });
        }
        const user = req.headers[USER_HEADER];
        if (typeof user !== 'string' || !USER_ID.test(user)) {
          throw new HttpProblem(
            'invalid_request',
            'Name the user you act for in the Roomkey-User header (1-256 visible ASCII characters other than , " and \\).',
          );
        }
        const { caps, users } = compiled.get(entry) as CompiledKey;
        if (!users.test(user)) {
          throw new HttpProblem(
            'forbidden',
            'This service key may not act for this user (see its users in the configuration).',
          );
        }
        try {
          checkUserId(user);
        } catch (error) {
          if (!isRoomkeyError(error, 'invalid_claim')) throw error;
          throw new HttpProblem('invalid_request', `The Roomkey-User header cannot be used: ${error.message}.`);
        }
        const identity: Identity = { id: user };
        principals.set(identity, { role: entry.role, caps, key: entry.name });
        return identity;
      }
      if (oidc !== undefined) return oidc(req, checkUserId);
      throw new HttpProblem('unauthenticated', 'Send a service key as Authorization: Bearer rk_….', {
        'www-authenticate': challenge,
      });
    },
    authorize({ identity, request }) {
      const principal = principals.get(identity);
      if (principal === undefined) throw new Error('an identity without a principal reached authorize');
      return grantFor(principal, request);
    },
    keyName: (identity) => principals.get(identity)?.key,
  };
}

function oidcIdentity(settings: OidcSettings, principals: WeakMap<Identity, Principal>, logger: Logger) {
  // The subject claim is read by the core, which refuses (403) and reports once a subject that no
  // token can carry at all; the limits of the platforms this caller may reach are checked below.
  const verify = bearerJwtIdentity({ ...bearerOptions(settings), logger });
  const caps = compileCaps(settings);
  const warned = new Set<string>();
  return async (req: IncomingMessage, checkUserId: UserIdCheck): Promise<Identity> => {
    const identity = (await verify(req)) as BearerJwtIdentity;
    const role = roleFromClaims(identity.claims, settings);
    if (role === undefined) throw new HttpProblem('forbidden', 'Your identity provider grants you no video role here.');
    try {
      checkUserId(identity.id);
    } catch (error) {
      if (!isRoomkeyError(error, 'invalid_claim')) throw error;
      // The provider's data, not the caller's doing, and the same for every request of this user:
      // the operator hears of it once per subject (by hash: the value may be personal), as a warning.
      const subject = createHash('sha256').update(identity.id).digest('hex').slice(0, 16);
      if (!warned.has(subject)) {
        if (warned.size >= WARNED_SUBJECTS) warned.clear();
        warned.add(subject);
        logger.warn(
          {
            event: 'roomkey.subject_unusable',
            subjectSha256: subject,
            claim: settings.subjectClaim,
            reason: error.message,
          },
          `an identity provider subject cannot be used (${error.message}): check subjectClaim and the platforms of identity.oidc`,
        );
      }
      throw new HttpProblem(
        'forbidden',
        `Your identity provider's subject cannot be used here: ${error.message}. Ask the operator to check its configuration.`,
      );
    }
    principals.set(identity, { role, caps, key: undefined });
    return identity;
  };
}

/**
 * The documented rule: read the claim at `rolesClaim` (a name, or a path into nested objects);
 * it is an array of names, or one string of names separated by spaces or commas; each name
 * passes through `roleMap` (default: roomkey's own role names); the user holds the join of the
 * mapped roles, the least role that includes each (publisher-only and subscriber make publisher);
 * none mapped: `defaultRole`, or refused.
 */
export function roleFromClaims(
  claims: JWTPayload,
  settings: Pick<OidcSettings, 'rolesClaim' | 'roleMap' | 'defaultRole'>,
): Role | undefined {
  let value: unknown = claims;
  for (const key of settings.rolesClaim) {
    value =
      typeof value === 'object' && value !== null && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  let best: Role | undefined;
  for (const name of names) {
    if (typeof name !== 'string' || !Object.hasOwn(settings.roleMap, name)) continue;
    const role = settings.roleMap[name] as Role;
    if (ROLES.includes(role)) best = best === undefined ? role : joinRoles(best, role);
  }
  return best ?? settings.defaultRole;
}

/** The least role that includes both (ROLES runs from least to most), by the core's own order. */
function joinRoles(a: Role, b: Role): Role {
  return ROLES.find((role) => roleIncludes(role, a) && roleIncludes(role, b)) as Role;
}

/** Exactly the requested targets that lie within the caps: the pipeline refuses anything else (403). */
function grantFor({ role, caps }: Principal, request: TokenRequest): Grant {
  const grant: Record<string, unknown> = { role, ...caps.granted };
  for (const { list, field, matcher } of caps.targets) {
    const value = request[field];
    grant[list] = typeof value === 'string' && matcher.test(value) ? [value] : [];
  }
  if (caps.ttlMinutes !== undefined) grant.ttlMinutes = caps.ttlMinutes;
  return grant as unknown as Grant;
}
