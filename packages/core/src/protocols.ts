import * as v from 'valibot';
import type { ChatRights, Grant } from './grant.js';
import { NAME_PATTERN } from './names.js';
import { PUBNUB_MAX_UUID_LENGTH } from './platforms/pubnub.js';
import { grantedChatRights } from './platforms/red5cloud.js';
import { HttpProblem, tokenBodyJson } from './problem.js';
import { describeIssues, MAX_TTL_MINUTES, parseTokenRequest, type TokenRequest } from './request.js';
import type { Role } from './roles.js';

/**
 * How a route speaks. `roomkey` is the HTTP contract in the README (`POST /tokens`). The other
 * two are what the Red5 WebRTC SDK's PubNub client sends, so that SDK can point at an app
 * using roomkey with no glue code:
 * - `red5-chat`, its "backend URL": `{userId, channelId, read, write, ttlMinutes}` → `{token}`,
 *   a chat (PubNub) token;
 * - `red5-conference`, its cloud endpoint (`/config-meetings/api/generate-token`):
 *   `{userId, channelId, expirationMinutes}` → `{success: true, token}`, a conference token
 *   whose `uid`/`roomId` are that user and channel.
 */
export type TokenProtocol = 'roomkey' | 'red5-chat' | 'red5-conference';

export const TOKEN_PROTOCOLS: readonly TokenProtocol[] = ['roomkey', 'red5-chat', 'red5-conference'];

/** A request body read through a protocol, in the pipeline's terms. */
export interface ProtocolRequest {
  /** What `authorize` sees: a token request as the `roomkey` contract would have it. */
  readonly request: TokenRequest;
  /** The user the body names; it must be the identified user. */
  readonly userId?: string;
  /** Chat rights the body asks for; they must lie within the grant. */
  readonly chat?: Required<ChatRights>;
}

/** What a successful request produced, for the protocol to render. */
export interface ProtocolResult {
  readonly identity: string;
  readonly role: Role;
  readonly tokens: Readonly<Record<string, { readonly token: string; readonly expiresAt: string }>>;
}

export interface Protocol {
  /** The one token this protocol issues; absent: every token the request addresses. */
  readonly tokenName?: string;
  /**
   * Narrows the grant to what the body asked for, once it is known to lie within it (403
   * otherwise): the chat rights the Red5 SDK's chat route names.
   */
  narrow?(grant: Grant, role: Role, parsed: ProtocolRequest): Grant;
  /** Which credentials to configure when {@link tokenName} is not issued. */
  readonly needs?: string;
  parse(body: unknown): ProtocolRequest;
  success(result: ProtocolResult): unknown;
  /** The success body as JSON text, when the protocol writes it faster than JSON.stringify would. */
  render?(result: ProtocolResult): string;
  /** RFC 9457 extension members for this protocol's problem responses. */
  readonly problemMembers?: Readonly<Record<string, unknown>>;
}

// Compared with the signed-in user's id exactly as sent: never trimmed or otherwise repaired.
const userId = v.pipe(
  v.string('userId must be a string'),
  v.minLength(1, 'userId must not be empty'),
  v.maxLength(PUBNUB_MAX_UUID_LENGTH, `userId must be at most ${PUBNUB_MAX_UUID_LENGTH} characters`),
);
const channelId = v.pipe(
  v.string('channelId must be a string'),
  v.regex(NAME_PATTERN, 'channelId must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit'),
);
const minutes = (field: string) =>
  v.optional(
    v.pipe(
      v.number(`${field} must be a number`),
      v.integer(`${field} must be a whole number`),
      v.minValue(1, `${field} must be at least 1`),
      v.maxValue(MAX_TTL_MINUTES, `${field} must be at most ${MAX_TTL_MINUTES}`),
    ),
  );
const right = (field: string) => v.optional(v.boolean(`${field} must be true or false`));

const ChatBodySchema = v.strictObject(
  { userId, channelId, read: right('read'), write: right('write'), ttlMinutes: minutes('ttlMinutes') },
  'unknown field',
);
const ConferenceBodySchema = v.strictObject(
  { userId, channelId, expirationMinutes: minutes('expirationMinutes') },
  'unknown field',
);

function parseWith<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_request', 'The request body must be a JSON object.');
  }
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpProblem('invalid_request', describeIssues(result.issues));
  return result.output;
}

const NEEDS_RED5CLOUD = 'Red5 Cloud credentials: red5cloud: { masterKey, masterSecret }';

export const PROTOCOLS: Readonly<Record<TokenProtocol, Protocol>> = Object.freeze({
  roomkey: {
    parse: (body) => ({ request: parseTokenRequest(body) }),
    success: (result) => result,
    render: tokenBodyJson,
  },
  'red5-chat': {
    tokenName: 'chat',
    needs: NEEDS_RED5CLOUD,
    parse(body) {
      const parsed = parseWith(ChatBodySchema, body);
      // Absent rights: read, the least a chat client needs; write only when asked for.
      const chat = { read: parsed.read ?? true, write: parsed.write ?? false };
      if (!chat.read && !chat.write) {
        throw new HttpProblem('invalid_request', 'Invalid token request: read and write are both false.');
      }
      return {
        request: {
          channel: parsed.channelId,
          ...(parsed.ttlMinutes !== undefined && { ttlMinutes: parsed.ttlMinutes }),
        },
        userId: parsed.userId,
        chat,
      };
    },
    narrow(grant, role, parsed) {
      const asked = parsed.chat;
      if (asked === undefined) return grant;
      const allowed = grantedChatRights(grant, role);
      if ((asked.read && !allowed.read) || (asked.write && !allowed.write)) {
        throw new HttpProblem('forbidden', 'The requested chat rights are not granted to you.');
      }
      // Exactly what was asked, now known to lie within the grant.
      return { ...grant, chat: asked };
    },
    success: (result) => ({ token: result.tokens.chat?.token }),
  },
  'red5-conference': {
    tokenName: 'conference',
    needs: NEEDS_RED5CLOUD,
    parse(body) {
      const parsed = parseWith(ConferenceBodySchema, body);
      const ttlMinutes = parsed.expirationMinutes;
      return {
        request: { room: parsed.channelId, ...(ttlMinutes !== undefined && { ttlMinutes }) },
        userId: parsed.userId,
      };
    },
    success: (result) => ({ success: true, token: result.tokens.conference?.token }),
    // The SDK reads `success`; the problem members stay as the contract has them.
    problemMembers: Object.freeze({ success: false }),
  },
});

/** The protocol of a name, or a `TypeError` for a name that is none. */
export function protocolNamed(name: unknown): Protocol {
  if (typeof name === 'string' && (TOKEN_PROTOCOLS as readonly string[]).includes(name)) {
    return PROTOCOLS[name as TokenProtocol];
  }
  throw new TypeError(`protocol must be one of ${TOKEN_PROTOCOLS.join(', ')}`);
}
