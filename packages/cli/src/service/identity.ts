import type { IncomingMessage } from 'node:http';
import {
  type AuthorizeContext,
  type BearerJwtIdentity,
  bearerJwtIdentity,
  type Grant,
  HttpProblem,
  type Identity,
  type Logger,
  ROLES,
  type Role,
  type TokenRequest,
} from '@roomkey/core';
import type { JWTPayload } from 'jose';
import {
  bearerOptions,
  type OidcSettings,
  type Policy,
  type ServiceConfig,
  type ServiceKeyEntry,
} from '../config/service-config.js';
import { matchServiceKey, SERVICE_KEY_PATTERN } from './service-keys.js';

/** The header a backend names its user in, when it calls with a service key. */
export const USER_HEADER = 'roomkey-user';

/** A user id a backend may name: 1-256 visible ASCII characters (no spaces, no look-alikes). */
const USER_ID = /^[\x21-\x7e]{1,256}$/;

/** Who is asking and what they may have at most; kept beside the identity the core passes around. */
interface Principal {
  readonly role: Role;
  readonly policy: Policy;
  readonly key: string | undefined;
}

const RANK: Readonly<Record<Role, number>> = { subscriber: 1, 'publisher-only': 2, publisher: 3, moderator: 4 };

export interface ServiceIdentity {
  /** The service key an `Authorization: Bearer rk_…` header presents, if it is one of ours. */
  keyFor(req: IncomingMessage): ServiceKeyEntry | undefined;
  identify(req: IncomingMessage): Promise<Identity>;
  authorize(context: AuthorizeContext<IncomingMessage>): Grant;
  /** The service key's name an identity came with (for logs). */
  keyName(identity: Identity): string | undefined;
}

export function createServiceIdentity(config: ServiceConfig, logger?: Logger): ServiceIdentity {
  const principals = new WeakMap<Identity, Principal>();
  const matched = new WeakMap<IncomingMessage, ServiceKeyEntry | null>();
  const challenge = 'Bearer realm="roomkey"';
  const oidc = config.oidc === undefined ? undefined : oidcIdentity(config.oidc, principals, logger);

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
    async identify(req) {
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
            'Name the user you act for in the Roomkey-User header (1-256 visible ASCII characters).',
          );
        }
        const identity: Identity = { id: user };
        principals.set(identity, { role: entry.role, policy: entry, key: entry.name });
        return identity;
      }
      if (oidc !== undefined) return oidc(req);
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

function oidcIdentity(settings: OidcSettings, principals: WeakMap<Identity, Principal>, logger: Logger | undefined) {
  // The subject claim is read by the core, which refuses (403) and reports once a user id no token can carry.
  const verify = bearerJwtIdentity({ ...bearerOptions(settings), ...(logger !== undefined && { logger }) });
  return async (req: IncomingMessage): Promise<Identity> => {
    const identity = (await verify(req)) as BearerJwtIdentity;
    const role = roleFromClaims(identity.claims, settings);
    if (role === undefined) throw new HttpProblem('forbidden', 'Your identity provider grants you no video role here.');
    principals.set(identity, { role, policy: settings, key: undefined });
    return identity;
  };
}

/**
 * The documented rule: read the claim at `rolesClaim` (a name, or a path into nested objects);
 * it is an array of names, or one string of names separated by spaces or commas; each name
 * passes through `roleMap` (default: roomkey's own role names); the highest mapped role wins
 * (moderator > publisher > publisher-only > subscriber); none mapped: `defaultRole`, or refused.
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
    if (ROLES.includes(role) && (best === undefined || RANK[role] > RANK[best])) best = role;
  }
  return best ?? settings.defaultRole;
}

/** A requested target matches a pattern list (`*` = any run of name characters), or `any`. */
function matches(patterns: Policy['rooms'], value: string): boolean {
  if (patterns === 'any') return true;
  return patterns.some((pattern) =>
    new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[A-Za-z0-9._-]*')}$`).test(value),
  );
}

/** Exactly the requested targets that lie within the caps: the pipeline refuses anything else (403). */
function grantFor({ role, policy }: Principal, request: TokenRequest): Grant {
  const only = (patterns: Policy['rooms'], value: string | undefined): string[] =>
    value !== undefined && matches(patterns, value) ? [value] : [];
  return {
    role,
    rooms: only(policy.rooms, request.room),
    channels: only(policy.channels, request.channel),
    sessions: only(policy.sessions, request.session),
    ...(policy.transports !== undefined && { transports: policy.transports }),
    ...(policy.ttlMinutes !== undefined && { ttlMinutes: policy.ttlMinutes }),
  };
}
