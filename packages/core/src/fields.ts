import * as v from 'valibot';
import { hasControlCharacter, NAME_PATTERN } from './names.js';
import type { GrantField, RequestField } from './platform.js';

/**
 * Request and grant fields several platforms share (a `room` addresses Red5 Pro, the Red5 Cloud
 * conference and LiveKit alike), and the helpers to declare a platform's own. A field read by
 * several platforms is one object, so the issuer can tell a shared field from a clash.
 */

const NAME_MESSAGE = (what: string) =>
  `${what} must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`;

/**
 * A request field naming a target by a pattern (a room, a channel, a session), listed in the
 * grant field `grantList` (`rooms`).
 */
export function targetField(
  what: string,
  pattern: RegExp,
  grantList: string,
  message: string,
  extra: Partial<RequestField<string>> = {},
): RequestField<string> {
  return {
    check: (value) => (typeof value === 'string' && pattern.test(value) ? value : undefined),
    message,
    grantList,
    schema: v.pipe(v.string(`${what} must be a string`), v.regex(pattern, message)),
    ...extra,
  };
}

const isNameList = (value: unknown, pattern: RegExp) =>
  value === 'any' || (Array.isArray(value) && value.every((entry) => typeof entry === 'string' && pattern.test(entry)));

/**
 * A grant field listing the targets a caller may use (`rooms`, `channels`, `sessions`): a list,
 * or `'any'` for every valid target. Absent or empty: none.
 */
export function targetListField(what: string, pattern: RegExp): GrantField<readonly string[] | 'any'> {
  // Fixed text: a grant's values (which may be personal data) never reach a log.
  const message = `grant.${what} must be 'any' or an array of valid ${what}`;
  return {
    check: (value) => (isNameList(value, pattern) ? (value as readonly string[] | 'any') : undefined),
    message,
    schema: v.union(
      [v.literal('any'), v.array(v.pipe(v.string(message), v.regex(pattern, message)), message)],
      message,
    ),
  };
}

/** `room`: the room a token opens (Red5 Pro, Red5 Cloud conference, LiveKit). */
export const ROOM_FIELD = targetField('room', NAME_PATTERN, 'rooms', NAME_MESSAGE('room'), { inDefaultGrant: true });
/** `rooms` in a grant: the rooms a caller may enter. */
export const ROOMS_FIELD = targetListField('rooms', NAME_PATTERN);
/** `channel`: a chat channel (Red5 Cloud). */
export const CHANNEL_FIELD = targetField('channel', NAME_PATTERN, 'channels', NAME_MESSAGE('channel'));
/** `channels` in a grant: the chat channels a caller may use. */
export const CHANNELS_FIELD = targetListField('channels', NAME_PATTERN);

/**
 * A grant field holding a string of at most `max` characters (`grant.name`, Vonage's
 * `connectionData`), optionally refusing control characters and the empty string.
 */
export function textField(
  what: string,
  max: number,
  { printable = false, min = 0 }: { printable?: boolean; min?: number } = {},
  message = printable
    ? `grant.${what} must be ${min}-${max} characters without control characters`
    : `grant.${what} must be a string of at most ${max} characters`,
): GrantField<string> {
  const control = (text: string) => printable && hasControlCharacter(text);
  return {
    check: (value) =>
      typeof value === 'string' && value.length >= min && value.length <= max && !control(value) ? value : undefined,
    message,
    schema: v.pipe(
      v.string(message),
      v.minLength(min, message),
      v.maxLength(max, message),
      v.check((text) => !control(text), message),
    ),
  };
}

/**
 * A field's schema: its own (built-in fields word their refusals in detail), or its `check`
 * with its `message`.
 */
export function fieldSchema(field: RequestField | GrantField): v.GenericSchema {
  if (field.schema !== undefined) return field.schema;
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const checked = field.check(dataset.value);
      if (checked !== undefined) return checked;
      addIssue({ message: field.message });
      return NEVER;
    }),
  );
}

/**
 * A function returning a new object with every one of `names` as `undefined`. Written as an
 * object literal (names JSON-quoted, so any name is safe): V8 builds a literal at about half the
 * cost of spreading a template, and this runs for every request and grant.
 */
export function emptyObjectFactory(names: readonly string[]): () => Record<string, undefined> {
  const body = names.map((name) => `${JSON.stringify(name)}: undefined`).join(', ');
  return new Function(`return { ${body} };`) as () => Record<string, undefined>;
}
