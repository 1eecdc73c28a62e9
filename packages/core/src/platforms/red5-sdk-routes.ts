import * as v from 'valibot';
import type { ChatRights, Grant } from '../grant.js';
import { describeIssues } from '../issues.js';
import { NAME_PATTERN } from '../names.js';
import { MAX_TTL_MINUTES, type PlatformRoute } from '../platform.js';
import { HttpProblem } from '../problem.js';
import type { Role } from '../roles.js';
import { PUBNUB_MAX_UUID_LENGTH } from './pubnub.js';

/**
 * The two routes the Red5 WebRTC SDK's PubNub client calls, so that SDK can point at an app
 * using roomkey with no glue code:
 * - `red5-chat`, its "backend URL": `{userId, channelId, read, write, ttlMinutes}` → `{token}`,
 *   a chat (PubNub) token;
 * - `red5-conference`, its cloud endpoint (`/config-meetings/api/generate-token`):
 *   `{userId, channelId, expirationMinutes}` → `{success: true, token}`, a conference token
 *   whose `uid`/`roomId` are that user and channel.
 */

/**
 * The chat rights a grant gives for a role: the grant's `chat` when it has one (an absent
 * right is not given), otherwise the role's: subscribers read, every other role reads and writes.
 */
export function grantedChatRights(grant: Grant, role: Role): { read: boolean; write: boolean } {
  if (grant.chat === undefined) return { read: true, write: role !== 'subscriber' };
  return { read: grant.chat.read === true, write: grant.chat.write === true };
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

/** A body read with a schema; a malformed one is 400 with the schema's (fixed) messages. */
export function parseBodyWith<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_request', 'The request body must be a JSON object.');
  }
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpProblem('invalid_request', describeIssues(result.issues));
  return result.output;
}

const NEEDS_RED5CLOUD = 'Red5 Cloud credentials: red5cloud: { masterKey, masterSecret }';

export const RED5_SDK_ROUTES: Readonly<Record<'red5-chat' | 'red5-conference', PlatformRoute>> = Object.freeze({
  'red5-chat': {
    // The SDK's "backend URL" is the app's to choose; this is the examples' and serve's.
    path: '/chat-token',
    tokenName: 'chat',
    needs: NEEDS_RED5CLOUD,
    parse(body) {
      const parsed = parseBodyWith(ChatBodySchema, body);
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
        extra: { chat },
      };
    },
    narrow(grant, role, parsed) {
      const asked = parsed.extra?.chat as Required<ChatRights> | undefined;
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
    // The path the SDK's cloud mode calls, below the host it is given.
    path: '/config-meetings/api/generate-token',
    tokenName: 'conference',
    needs: NEEDS_RED5CLOUD,
    parse(body) {
      const parsed = parseBodyWith(ConferenceBodySchema, body);
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
