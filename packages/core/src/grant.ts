import * as v from 'valibot';
import { emptyObjectFactory, fieldSchema } from './fields.js';
import { kindOf } from './identity.js';
import { describeUnknownKey } from './options.js';
import type { GrantField } from './platform.js';
import { BUILT_IN_PLATFORMS } from './platforms/index.js';
import { HttpProblem } from './problem.js';
import {
  BUILT_IN_REQUEST_SHAPE,
  describeIssues,
  gatherFields,
  type RequestShape,
  type TokenRequest,
} from './request.js';
import { isRole, ROLES, type Role, roleIncludes } from './roles.js';

/** Who is asking, as the app's `identify` callback says. Only `id` is ever used by roomkey. */
export interface Identity {
  /** Stable user id: becomes the token's subject (`sub`, `uid`). */
  readonly id: string;
  readonly [key: string]: unknown;
}

/**
 * What the app's `authorize` hook allows a caller. Anything the request asks for must lie
 * within it; nothing is widened. A list that is left out grants nothing: rooms, channels,
 * sessions and transports are each open only when the grant lists them or says `'any'`.
 */
export interface Grant {
  /** The highest role the caller may have; also the role issued when the request names none. */
  readonly role: Role;
  /**
   * Rooms the caller may enter (Red5 Pro, Red5 Cloud conference): a list, or `'any'` for every
   * valid room name. Absent or empty: none.
   */
  readonly rooms?: readonly string[] | 'any';
  /** Red5 Cloud chat channels the caller may use; same rules as `rooms`. */
  readonly channels?: readonly string[] | 'any';
  /** Vonage session ids the caller may join; same rules as `rooms`. */
  readonly sessions?: readonly string[] | 'any';
  /**
   * Red5 Pro transports the caller may use (`RTMP`, `RTSP`, `WHIP`, `WHEP`, any case), or
   * `'any'`. Absent: none, so a Red5 Pro token is refused (403). An empty list is a mistake
   * (500): leave the field out to grant none.
   */
  readonly transports?: readonly string[] | 'any';
  /**
   * Upper bound for the token lifetime, in whole minutes. It caps, never sets: a request that
   * names no lifetime gets the least of the platform's default and this cap.
   */
  readonly ttlMinutes?: number;
  /**
   * Display name written into the Red5 Pro `name` claim. Token contents are readable by
   * anyone holding the token: roomkey never copies identity fields into tokens by itself.
   */
  readonly name?: string;
  /**
   * Vonage connection data (at most 1000 characters), visible to everyone in the session.
   * Only the grant sets it: the client's request never does.
   */
  readonly connectionData?: string;
  /**
   * Red5 Cloud chat rights on the granted channels. Absent: the role decides (subscribers
   * read; publishers and moderators read and write). Present: exactly the rights it names.
   */
  readonly chat?: ChatRights;
}

/** Read and write rights on a chat channel; an absent right is not given. */
export interface ChatRights {
  readonly read?: boolean;
  readonly write?: boolean;
}

/** The fields a grant may carry and how each is checked: the core's two and the platforms'. */
export interface GrantShape {
  /** The platforms' fields, by name. */
  readonly fields: ReadonlyMap<string, GrantField>;
  /** Every field name, the core's first: each is written out in a checked grant. */
  readonly names: readonly string[];
  /** The valibot schema that words a refusal. */
  readonly schema: v.GenericSchema;
  /** A new object with every field as `undefined`, for each checked grant. */
  readonly empty: () => Record<string, unknown>;
  /** Each field's `check` by name, in an object without a prototype: the quick path's lookup. */
  readonly checks: Readonly<Record<string, GrantField['check'] | undefined>>;
}

const ttlMessage = 'grant.ttlMinutes must be a whole number of minutes, at least 1';

/** The shape of grants for these platform fields (checked once, when an issuer is made). */
export function grantShape(fields: ReadonlyMap<string, GrantField>): GrantShape {
  const entries: Record<string, v.GenericSchema> = {
    role: v.picklist(ROLES, `grant.role must be one of ${ROLES.join(', ')}`),
  };
  for (const [name, field] of fields) {
    if (typeof field?.check !== 'function' || typeof field.message !== 'string') {
      throw new TypeError(`grant field "${name}" must be an object { check(value), message }`);
    }
    entries[name] = v.optional(fieldSchema(field));
  }
  entries.ttlMinutes = v.optional(v.pipe(v.number(ttlMessage), v.integer(ttlMessage), v.minValue(1, ttlMessage)));
  const schema = v.strictObject(
    entries,
    (issue) => `authorize must return a grant object { role, … } or false, not ${kindOf(issue.input)}`,
  );
  const names = Object.keys(entries);
  const checks: Record<string, GrantField['check']> = Object.create(null);
  for (const [name, field] of fields) checks[name] = field.check;
  return { fields, names, schema, empty: emptyObjectFactory(names), checks };
}

/** The grant fields of the built-in platforms. */
export const BUILT_IN_GRANT_FIELDS: ReadonlyMap<string, GrantField> = gatherFields(
  BUILT_IN_PLATFORMS.map((platform) => platform.grantFields),
  'grant',
  ['role', 'ttlMinutes'],
);

/** The shape of grants of an issuer whose platforms add no fields of their own. */
export const BUILT_IN_GRANT_SHAPE: GrantShape = grantShape(BUILT_IN_GRANT_FIELDS);

/**
 * The grant of an issuer without an `authorize` hook, the least privilege: subscribe to the
 * room the request names, over any transport; no chat channel, no Vonage session. Each platform
 * field says what it adds (`inDefaultGrant`, `defaultValue`).
 */
export function defaultGrant(
  request: { readonly room?: string | undefined },
  requests: RequestShape = BUILT_IN_REQUEST_SHAPE,
  grants: GrantShape = BUILT_IN_GRANT_SHAPE,
): Grant {
  const grant: Record<string, unknown> = { role: 'subscriber' };
  for (const [name, field] of requests.fields) {
    if (field.inDefaultGrant && field.grantList !== undefined) {
      const value = (request as Record<string, unknown>)[name];
      grant[field.grantList] = value === undefined ? [] : [value];
    }
  }
  for (const [name, field] of grants.fields) if (field.defaultValue !== undefined) grant[name] = field.defaultValue;
  return grant as unknown as Grant;
}

/** A grant is the app's output: a malformed one is the app's bug (500), never the client's. */
export function checkGrant(grant: unknown, shape: GrantShape = BUILT_IN_GRANT_SHAPE): Grant {
  return quickGrant(grant, shape) ?? everyField(checkGrantBySchema(grant, shape), shape.names);
}

/**
 * Every field of a checked object written out, an absent one as `undefined`: a field is then
 * never read from `Object.prototype`, so a polluted prototype (`Object.prototype.rooms = 'any'`,
 * by some other code in the app) cannot open what the grant or request left out.
 */
export function everyField<T extends object>(value: T, fields: readonly string[]): T {
  const complete: Record<string, unknown> = {};
  for (const field of fields)
    complete[field] = Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
  return complete as T;
}

/** {@link checkGrant} by the schema alone: the reference {@link quickGrant} must agree with. */
export function checkGrantBySchema(grant: unknown, shape: GrantShape = BUILT_IN_GRANT_SHAPE): Grant {
  if (typeof grant === 'object' && grant !== null) {
    const unknown = describeUnknownKey(grant, shape.names, 'field');
    if (unknown !== undefined) throw new Error(`authorize returned a grant with an ${unknown}`);
  }
  // The schema reads a field by name, which finds one inherited from a prototype (a polluted
  // Object.prototype.turn, a grant made with Object.create): only the grant's own fields count,
  // as on the quick path.
  const own =
    typeof grant === 'object' && grant !== null && !Array.isArray(grant)
      ? Object.assign(Object.create(null) as object, grant)
      : grant;
  const result = v.safeParse(shape.schema, own);
  if (!result.success) throw new Error(`authorize returned an invalid grant: ${describeIssues(result.issues, '')}`);
  return result.output as Grant;
}

/**
 * Step 4: the request must lie within the grant; returns the role to issue. Each target a
 * request names must be listed in its grant field (or the grant says `'any'`); then each
 * platform field checks its own rule (Red5 Pro transports).
 */
export function checkRequestAgainstGrant(
  request: TokenRequest,
  grant: Grant,
  shape: RequestShape = BUILT_IN_REQUEST_SHAPE,
): Role {
  const role = request.role ?? grant.role;
  if (!roleIncludes(grant.role, role)) {
    throw new HttpProblem('forbidden', `The role "${role}" is not granted to you.`);
  }
  const granted = grant as unknown as Record<string, unknown>;
  const { targets, ruled } = shape;
  for (let index = 0; index < targets.length; index++) {
    const [name, grantList] = targets[index] as readonly [string, string];
    const target = request[name];
    if (target === undefined) continue;
    // Absent from the grant: none. 'any': every valid target.
    const allowed = (granted[grantList] ?? []) as readonly unknown[] | 'any';
    if (allowed !== 'any' && !allowed.includes(target)) {
      throw new HttpProblem('forbidden', `The requested ${name} is not granted to you.`);
    }
  }
  for (let index = 0; index < ruled.length; index++) {
    const [name, checkGrant] = ruled[index] as readonly [string, (value: unknown, grant: Grant) => void];
    const value = request[name];
    if (value !== undefined) checkGrant(value, grant);
  }
  return role;
}

/**
 * The schema's answer for a well-formed grant, reached without it, as {@link quickTokenRequest}
 * does for requests: a grant that passes every check here is exactly one the schema accepts,
 * with the same output (a property test holds the two together); anything else returns
 * `undefined` and the schema decides and words the refusal. Every field is written out (see
 * {@link everyField}), in one object.
 */
export function quickGrant(grant: unknown, shape: GrantShape = BUILT_IN_GRANT_SHAPE): Grant | undefined {
  if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) return undefined;
  const fields = grant as Record<string, unknown>;
  if (!isRole(fields.role)) return undefined;
  const checked = shape.empty();
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) return undefined;
    const value = fields[key];
    if (key === 'role') {
      checked.role = value;
    } else if (key === 'ttlMinutes') {
      if (!Number.isInteger(value) || (value as number) < 1) return undefined;
      checked.ttlMinutes = value;
    } else {
      const valid = shape.checks[key]?.(value);
      if (valid === undefined) return undefined;
      checked[key] = valid;
    }
  }
  return checked as unknown as Grant;
}
