import * as v from 'valibot';
import { kindOf } from './identity.js';
import { ASCII_LETTERS, hasControlCharacter, NAME_PATTERN } from './names.js';
import { describeUnknownKey } from './options.js';
import type { AddressField } from './platform.js';
import { RED5PRO_TRANSPORTS } from './platforms/red5pro.js';
import { VONAGE_MAX_DATA_LENGTH } from './platforms/vonage.js';
import { HttpProblem } from './problem.js';
import { describeIssues, knownTransport, SESSION_PATTERN, type TokenRequest } from './request.js';
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

/**
 * The grant of an issuer without an `authorize` hook, the least privilege: subscribe to the
 * room the request names, over any transport; no chat channel, no Vonage session.
 */
export function defaultGrant(request: { readonly room?: string | undefined }): Grant {
  return { role: 'subscriber', rooms: request.room === undefined ? [] : [request.room], transports: 'any' };
}

// Every message is fixed text: a grant's values (which may be personal data) never reach a log.
const targetList = (what: string, pattern: RegExp) => {
  const message = `grant.${what} must be 'any' or an array of valid ${what}`;
  return v.union([v.literal('any'), v.array(v.pipe(v.string(message), v.regex(pattern, message)), message)], message);
};

const transportsMessage = `grant.transports must be 'any' or a list of ${RED5PRO_TRANSPORTS.join(', ')}`;
const emptyTransportsMessage =
  "grant.transports is an empty list: list the transports the caller may use, say 'any', or leave it out to grant none";
const ttlMessage = 'grant.ttlMinutes must be a whole number of minutes, at least 1';
const nameMessage = 'grant.name must be 1-256 characters without control characters';
const chatMessage = 'grant.chat must be an object { read?: boolean, write?: boolean }';
const dataMessage = `grant.connectionData must be a string of at most ${VONAGE_MAX_DATA_LENGTH} characters`;

const GrantSchema = v.strictObject(
  {
    role: v.picklist(ROLES, `grant.role must be one of ${ROLES.join(', ')}`),
    rooms: v.optional(targetList('rooms', NAME_PATTERN)),
    channels: v.optional(targetList('channels', NAME_PATTERN)),
    sessions: v.optional(targetList('sessions', SESSION_PATTERN)),
    transports: v.optional(
      v.union(
        [
          v.literal('any'),
          v.pipe(
            v.array(
              v.pipe(
                v.string(transportsMessage),
                v.regex(ASCII_LETTERS, transportsMessage),
                v.toUpperCase(),
                v.picklist(RED5PRO_TRANSPORTS, transportsMessage),
              ),
              transportsMessage,
            ),
            v.minLength(1, emptyTransportsMessage),
          ),
        ],
        transportsMessage,
      ),
    ),
    ttlMinutes: v.optional(v.pipe(v.number(ttlMessage), v.integer(ttlMessage), v.minValue(1, ttlMessage))),
    name: v.optional(
      v.pipe(
        v.string(nameMessage),
        v.minLength(1, nameMessage),
        v.maxLength(256, nameMessage),
        v.check((name) => !hasControlCharacter(name), nameMessage),
      ),
    ),
    connectionData: v.optional(v.pipe(v.string(dataMessage), v.maxLength(VONAGE_MAX_DATA_LENGTH, dataMessage))),
    chat: v.optional(
      v.strictObject(
        { read: v.optional(v.boolean(chatMessage)), write: v.optional(v.boolean(chatMessage)) },
        chatMessage,
      ),
    ),
  },
  (issue) => `authorize must return a grant object { role, … } or false, not ${kindOf(issue.input)}`,
);

/** A grant is the app's output: a malformed one is the app's bug (500), never the client's. */
export function checkGrant(grant: unknown): Grant {
  return quickGrant(grant) ?? everyField(checkGrantBySchema(grant), GRANT_FIELDS);
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
export function checkGrantBySchema(grant: unknown): Grant {
  if (typeof grant === 'object' && grant !== null) {
    const unknown = describeUnknownKey(grant, Object.keys(GrantSchema.entries), 'field');
    if (unknown !== undefined) throw new Error(`authorize returned a grant with an ${unknown}`);
  }
  const result = v.safeParse(GrantSchema, grant);
  if (!result.success) throw new Error(`authorize returned an invalid grant: ${describeIssues(result.issues, '')}`);
  return result.output as Grant;
}

const ADDRESS_FIELDS: readonly AddressField[] = ['room', 'channel', 'session'];
const GRANT_TARGETS = { room: 'rooms', channel: 'channels', session: 'sessions' } as const;

/** Step 4: the request must lie within the grant; returns the role to issue. */
export function checkRequestAgainstGrant(request: TokenRequest, grant: Grant): Role {
  const role = request.role ?? grant.role;
  if (!roleIncludes(grant.role, role)) {
    throw new HttpProblem('forbidden', `The role "${role}" is not granted to you.`);
  }
  for (const field of ADDRESS_FIELDS) {
    const target = request[field];
    // Absent from the grant: none. 'any': every valid target.
    const allowed = grant[GRANT_TARGETS[field]] ?? [];
    if (target !== undefined && allowed !== 'any' && !allowed.includes(target)) {
      throw new HttpProblem('forbidden', `The requested ${field} is not granted to you.`);
    }
  }
  const granted = grant.transports ?? [];
  if (request.transports !== undefined && granted !== 'any') {
    if (request.transports.some((transport) => !granted.includes(transport))) {
      throw new HttpProblem('forbidden', 'A requested transport is not granted to you.');
    }
  }
  return role;
}

const GRANT_FIELDS: readonly string[] = Object.keys(GrantSchema.entries);

const isNameList = (value: unknown, pattern: RegExp) =>
  value === 'any' || (Array.isArray(value) && value.every((entry) => typeof entry === 'string' && pattern.test(entry)));

/**
 * The schema's answer for a well-formed grant, reached without it, as {@link quickTokenRequest}
 * does for requests: a grant that passes every check here is exactly one the schema accepts,
 * with the same output (a property test holds the two together); anything else returns
 * `undefined` and the schema decides and words the refusal.
 */
export function quickGrant(grant: unknown): Grant | undefined {
  if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) return undefined;
  const fields = grant as Record<string, unknown>;
  let transports: readonly string[] | 'any' | undefined;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) return undefined;
    const value = fields[key];
    switch (key) {
      case 'role':
        if (!isRole(value)) return undefined;
        break;
      case 'rooms':
      case 'channels':
        if (!isNameList(value, NAME_PATTERN)) return undefined;
        break;
      case 'sessions':
        if (!isNameList(value, SESSION_PATTERN)) return undefined;
        break;
      case 'transports':
        if (value === 'any') {
          transports = value;
        } else {
          if (!Array.isArray(value) || value.length === 0) return undefined;
          const upper: string[] = [];
          for (const entry of value) {
            const transport = knownTransport(entry);
            if (transport === undefined) return undefined;
            upper.push(transport);
          }
          transports = upper;
        }
        break;
      case 'ttlMinutes':
        if (!Number.isInteger(value) || (value as number) < 1) return undefined;
        break;
      case 'name':
        if (typeof value !== 'string' || value.length === 0 || value.length > 256 || hasControlCharacter(value)) {
          return undefined;
        }
        break;
      case 'connectionData':
        if (typeof value !== 'string' || value.length > VONAGE_MAX_DATA_LENGTH) return undefined;
        break;
      case 'chat': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
        for (const right in value) {
          const given = (value as Record<string, unknown>)[right];
          if ((right !== 'read' && right !== 'write') || typeof given !== 'boolean') return undefined;
        }
        break;
      }
      default:
        return undefined;
    }
  }
  if (!isRole(fields.role)) return undefined;
  // Every field written out (see everyField), in one object.
  return {
    role: fields.role,
    rooms: fields.rooms,
    channels: fields.channels,
    sessions: fields.sessions,
    transports: transports ?? fields.transports,
    ttlMinutes: fields.ttlMinutes,
    name: fields.name,
    connectionData: fields.connectionData,
    chat: fields.chat,
  } as Grant;
}
