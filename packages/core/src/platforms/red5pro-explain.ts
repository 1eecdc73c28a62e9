import { createHmac } from 'node:crypto';
import { isRoomkeyError } from '../errors.js';
import { type Check, describeTime, type Explained, expiryCheck, fail, pass, type Report, skip } from '../explain.js';
import { type Red5ProRequirement, verifyRed5ProToken } from './red5pro-verify.js';

/** The server settings `inspect` checks a Red5 Pro token against (flags of the same names). */
export interface Red5ProSettings {
  readonly secret: string | undefined;
  /** Where the secret came from, for messages: RED5PRO_JWT_SECRET or --secret-file. */
  readonly secretSource: string;
  readonly ttlMinutes: number | undefined;
  readonly issuer: string | undefined;
  readonly requireRole: 'publisher' | 'subscriber' | undefined;
  readonly requireTransport: string | undefined;
  readonly requireRoom: string | undefined;
}

/** A decoded JWS. */
export interface DecodedJwt {
  readonly token: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Red5 Pro's validation process, rule by rule, in the server's order: signature, expiry (and its
 * jwtTtlMinutes limit), issuer, role, transport, room. The verdict, when the secret is known, is
 * the core verifier's; the rules say why.
 */
export async function explainRed5ProToken(jwt: DecodedJwt, settings: Red5ProSettings, now: number): Promise<Report> {
  const { header, claims } = jwt;
  const checks: Check[] = [];
  checks.push(
    header.alg === 'HS256'
      ? pass('algorithm', 'HS256, the only algorithm Red5 Pro accepts')
      : fail('algorithm', `the token is signed with ${String(header.alg)}, but Red5 Pro accepts only HS256`),
  );
  checks.push(signatureCheck(jwt, settings));
  // An exp in milliseconds lies far ahead: Red5 Pro refuses it for its lifetime, not as expired.
  checks.push(
    typeof claims.exp === 'number' && claims.exp > 1e11
      ? pass('expiry', `exp is ${claims.exp}, far in the future: it looks like milliseconds (JWT times are seconds)`)
      : expiryCheck(claims.exp, now),
  );
  checks.push(ttlCheck(claims.exp, settings.ttlMinutes, now));
  checks.push(issuerCheck(claims.iss, settings.issuer));
  checks.push(roleCheck(claims.roles, settings.requireRole));
  checks.push(transportCheck(claims['red5-transport'], settings.requireTransport));
  checks.push(roomCheck(claims['red5-room'], settings.requireRoom));

  const signatureChecked = settings.secret !== undefined;
  let verdict: Report['verdict'] = checks.some((check) => check.status === 'fail') ? 'refused' : 'unverified';
  if (settings.secret !== undefined) {
    // The decision is the core verifier's (the same code that checks tokens in roomkey's tests);
    // the rules above only explain it.
    const require: Red5ProRequirement = {
      ...(settings.requireRole !== undefined && { role: settings.requireRole }),
      ...(settings.requireTransport !== undefined && { transport: settings.requireTransport }),
      ...(settings.requireRoom !== undefined && { room: settings.requireRoom }),
    };
    try {
      await verifyRed5ProToken(jwt.token, {
        secret: settings.secret,
        clock: { now: () => now },
        require,
        ...(settings.ttlMinutes !== undefined && { ttlMinutes: settings.ttlMinutes }),
        ...(settings.issuer !== undefined && { expectedIssuer: settings.issuer }),
      });
      verdict = 'accepted';
    } catch (error) {
      verdict = 'refused';
      // A secret every signer refuses (a line break, too short…): the signature check above still
      // says which secret the token was signed with.
      if (error instanceof TypeError) checks.push(fail('secret', `${settings.secretSource}: ${error.message}`));
      else if (!isRoomkeyError(error)) throw error;
      else if (!checks.some((check) => check.status === 'fail')) checks.push(fail('verifier', error.message));
    }
  }
  return {
    kind: 'red5pro',
    title: 'Red5 Pro token',
    header,
    claims,
    explained: explain(claims, now),
    expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined,
    signatureChecked,
    checks,
    verdict,
  };
}

function explain(claims: Record<string, unknown>, now: number): Explained[] {
  const meaning: Record<string, (value: unknown) => string> = {
    sub: () => 'the user; Red5 Pro logs it',
    iss: () => 'who issued it; the server compares it with expectedIssuer when that is set',
    name: () => 'a display name, stored as a connection attribute (readable by anyone holding the token)',
    roles: (value) => {
      if (value === '') return 'empty: the bearer may publish and subscribe';
      const roles = typeof value === 'string' ? value.split(',') : [];
      const may = [
        ...(roles.includes('red5-publisher') ? ['publish'] : []),
        ...(roles.includes('red5-subscriber') ? ['subscribe'] : []),
      ];
      return may.length === 0
        ? 'names no role Red5 Pro knows: the bearer may do nothing'
        : `the bearer may ${may.join(' and ')}`;
    },
    'red5-transport': () => 'the only protocols allowed (RTMP, RTSP, WHIP, WHEP; any case)',
    'red5-room': () => 'the only rooms (scopes) allowed, matched exactly and case-sensitively',
    exp: (value) => `expiry: ${describeTime(value, now)}`,
    iat: (value) => `issued: ${describeTime(value, now)}`,
    nbf: (value) => `not before: ${describeTime(value, now)}`,
    jti: () => 'a unique id for this token',
  };
  const explained: Explained[] = Object.entries(claims).map(([claim, value]) => ({
    claim,
    value,
    meaning: meaning[claim]?.(value) ?? 'not read by Red5 Pro',
  }));
  for (const [claim, absent] of [
    ['roles', 'no roles claim: the bearer may publish and subscribe'],
    ['red5-transport', 'no red5-transport claim: every protocol is allowed'],
    ['red5-room', 'no red5-room claim: every room is allowed'],
  ] as const) {
    if (!(claim in claims)) explained.push({ claim, value: undefined, meaning: absent });
  }
  return explained;
}

function signatureCheck(jwt: DecodedJwt, settings: Red5ProSettings): Check {
  const { secret, secretSource } = settings;
  if (secret === undefined) {
    return skip('signature', 'NOT CHECKED: no secret given (set RED5PRO_JWT_SECRET or pass --secret-file)');
  }
  const dot = jwt.token.lastIndexOf('.');
  const input = jwt.token.slice(0, dot);
  const signature = jwt.token.slice(dot + 1);
  const matches = (key: Buffer | string) => createHmac('sha256', key).update(input).digest('base64url') === signature;
  if (matches(secret)) return pass('signature', `HMAC-SHA256 with the secret from ${secretSource}`);
  // The usual mistakes, each with what to change.
  if (secret.trim() !== secret && matches(secret.trim())) {
    return fail(
      'signature',
      `the token was signed with the secret without its surrounding white space; ${secretSource} has extra spaces or a newline: remove them on the side that differs`,
    );
  }
  if (matches(`${secret}\n`) || matches(`${secret}\r\n`)) {
    return fail(
      'signature',
      'the token was signed with the secret followed by a newline (read from a file as it is?): sign with the secret alone',
    );
  }
  // `S="$(pnpm roomkey secret)"` captures pnpm's banner lines before the secret.
  const lines = secret.split(/[\r\n]+/).filter((line) => line !== '');
  if (lines.length > 1 && matches(lines.at(-1) as string)) {
    return fail(
      'signature',
      `the token was signed with the last line of the secret from ${secretSource}, which holds other lines too: ` +
        'it was probably captured together with command output; set it from `pnpm --silent roomkey secret` or a file holding the secret alone',
    );
  }
  if (/^[A-Za-z0-9+/_-]+=*$/.test(secret) && matches(Buffer.from(secret, 'base64'))) {
    return fail(
      'signature',
      "the token was signed with the base64-DECODED bytes of the secret; Red5 Pro uses the secret's text (its UTF-8 bytes) as the key: sign with the secret string as it is",
    );
  }
  return fail(
    'signature',
    `the signature does not match the secret from ${secretSource}: the token was signed with another secret, ` +
      'or the Red5 Pro server is configured with another one (compare both, and rotate with an overlap)',
  );
}

function ttlCheck(exp: unknown, ttlMinutes: number | undefined, now: number): Check {
  if (ttlMinutes === undefined) {
    return skip('lifetime', "not checked: pass --ttl-minutes (the server's jwtTtlMinutes) to check it");
  }
  if (typeof exp !== 'number') return skip('lifetime', 'not checked: no usable exp');
  const ahead = exp - Math.floor(now / 1000);
  if (exp > 1e11) {
    return fail(
      'lifetime',
      `exp is ${exp}, which looks like milliseconds: the server reads seconds, so the token would live for ages and is refused; write exp in whole seconds`,
    );
  }
  if (ahead > ttlMinutes * 60) {
    return fail(
      'lifetime',
      `the token expires ${Math.ceil(ahead / 60)} minutes from now, more than the server's jwtTtlMinutes (${ttlMinutes}): ` +
        'Red5 Pro refuses tokens that live longer than it allows; issue shorter ones (roomkey caps them) or raise jwtTtlMinutes',
    );
  }
  return pass('lifetime', `within the server's jwtTtlMinutes (${ttlMinutes})`);
}

function issuerCheck(iss: unknown, expected: string | undefined): Check {
  if (expected === undefined) {
    return skip('issuer', 'not checked: pass --issuer when the server has expectedIssuer set');
  }
  if (iss === undefined) {
    return fail('issuer', `the token has no iss, but the server expects "${expected}": sign it with that issuer`);
  }
  if (iss !== expected) {
    return fail(
      'issuer',
      `iss is "${String(iss)}" but the server expects "${expected}" (exactly, case included): sign with the server's expectedIssuer`,
    );
  }
  return pass('issuer', `iss is the expected "${expected}"`);
}

/** Red5 Pro splits lists on commas and compares each entry exactly: these are the usual slips. */
function listHint(entries: readonly string[], wanted: string, caseMatters: boolean): string {
  const spaced = entries.find((entry) => entry.trim() !== entry && entry.trim().toLowerCase() === wanted.toLowerCase());
  if (spaced !== undefined) {
    return `; "${spaced}" has white space around it: lists are joined with commas and no spaces`;
  }
  if (caseMatters) {
    const cased = entries.find((entry) => entry !== wanted && entry.toLowerCase() === wanted.toLowerCase());
    if (cased !== undefined) return `; "${cased}" differs only in case, and case matters here`;
  }
  return '';
}

function splitClaim(value: unknown): string[] | null {
  return typeof value === 'string' ? value.split(',') : null;
}

function roleCheck(value: unknown, role: Red5ProSettings['requireRole']): Check {
  if (role === undefined) return skip('role', 'not checked: pass --require-role publisher or subscriber');
  if (value === undefined || value === '') {
    return pass(
      'role',
      `no roles in the token: Red5 Pro lets the bearer ${role === 'publisher' ? 'publish' : 'subscribe'}`,
    );
  }
  const roles = splitClaim(value);
  if (roles === null)
    return fail('role', 'roles must be a comma-separated string, such as "red5-publisher,red5-subscriber"');
  const wanted = `red5-${role}`;
  if (roles.includes(wanted)) return pass('role', `roles includes ${wanted}`);
  const bare = roles.includes(role) ? `; "${role}" is roomkey's word, the claim needs "${wanted}"` : '';
  return fail(
    'role',
    `to ${role === 'publisher' ? 'publish' : 'subscribe'} the roles claim must include ${wanted} (lower case), ` +
      `but it is "${String(value)}"${bare || listHint(roles, wanted, true)}`,
  );
}

function transportCheck(value: unknown, transport: string | undefined): Check {
  if (transport === undefined)
    return skip('transport', 'not checked: pass --require-transport (RTMP, RTSP, WHIP, WHEP)');
  if (value === undefined) return pass('transport', 'no red5-transport in the token: every protocol is allowed');
  const transports = splitClaim(value);
  if (transports === null)
    return fail('transport', 'red5-transport must be a comma-separated string such as "WHIP,WHEP"');
  const wanted = transport.toUpperCase();
  if (transports.some((entry) => /^[A-Za-z]+$/.test(entry) && entry.toUpperCase() === wanted)) {
    return pass('transport', `red5-transport allows ${wanted}`);
  }
  return fail(
    'transport',
    `red5-transport is "${String(value)}", which does not allow ${wanted}${listHint(transports, wanted, false)}`,
  );
}

function roomCheck(value: unknown, room: string | undefined): Check {
  if (room === undefined)
    return skip('room', 'not checked: pass --require-room with the room (scope) the client enters');
  if (value === undefined) return pass('room', 'no red5-room in the token: every room is allowed');
  const rooms = splitClaim(value);
  if (rooms === null) return fail('room', 'red5-room must be a comma-separated string such as "room1,room2"');
  if (rooms.includes(room)) return pass('room', `red5-room includes "${room}"`);
  return fail(
    'room',
    `red5-room is "${String(value)}", which does not include "${room}" (rooms match exactly, case included)${listHint(rooms, room, true)}`,
  );
}
