import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type Check,
  expiryCheck,
  explainAll,
  fail,
  hs256Check,
  jwtReport,
  type Meanings,
  pass,
  type Report,
  report,
  skip,
} from '../explain.js';
import type { DecodedToken } from '../platform.js';
import { vonageMeanings } from './vonage-explain.js';

/** A legacy OpenTok JWT (`ist: "project"`, HS256 with the API secret). */
export async function explainOpenTokJwt(
  jwt: Required<DecodedToken>,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<Report> {
  const { claims } = jwt;
  const checks: Check[] = [
    await hs256Check(jwt.token, env.OPENTOK_API_SECRET || undefined, 'OPENTOK_API_SECRET'),
    expiryCheck(claims.exp, now),
    apiKeyCheck(claims.iss, env.OPENTOK_API_KEY),
  ];
  const meanings: Meanings = {
    ...vonageMeanings(now),
    iss: () => 'the OpenTok API key (project)',
    ist: () => 'always "project"',
  };
  return jwtReport('opentok-jwt', 'OpenTok token (JWT)', jwt, meanings, 'not read by OpenTok', checks);
}

function apiKeyCheck(value: unknown, apiKey: string | undefined): Check {
  if (!apiKey) return skip('project', 'not checked: set OPENTOK_API_KEY to check the project');
  return String(value) === apiKey
    ? pass('project', 'made for the project OPENTOK_API_KEY')
    : fail('project', `made for project ${String(value)}, not OPENTOK_API_KEY`);
}

/** A legacy OpenTok `T1==` token: base64 of `partner_id=…&sig=…:` and URL-encoded data. */
export function explainOpenTokT1(
  token: string,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Report {
  const text = Buffer.from(token.slice(4), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const head = new URLSearchParams(text.slice(0, Math.max(colon, 0)));
  const data = text.slice(colon + 1);
  const claims: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(data)) {
    claims[name] = /^(create_time|expire_time|nonce)$/.test(name) && /^\d+$/.test(value) ? Number(value) : value;
  }
  const secret = env.OPENTOK_API_SECRET || undefined;
  let signature: Check;
  if (colon < 0 || !head.get('sig')) {
    signature = fail('format', 'not a T1 token: expected partner_id, sig and data after T1==');
  } else if (secret === undefined) {
    signature = skip('signature', 'NOT CHECKED: set OPENTOK_API_SECRET to check it');
  } else {
    const expected = createHmac('sha1', secret).update(data).digest();
    const given = Buffer.from(head.get('sig') ?? '', 'hex');
    signature =
      given.length === expected.length && timingSafeEqual(given, expected)
        ? pass('signature', 'HMAC-SHA1 with OPENTOK_API_SECRET')
        : fail(
            'signature',
            'the signature does not match OPENTOK_API_SECRET: the token was made with other credentials',
          );
  }
  const checks = [
    signature,
    expiryCheck(claims.expire_time, now),
    apiKeyCheck(head.get('partner_id'), env.OPENTOK_API_KEY),
  ];
  const all = { partner_id: head.get('partner_id'), ...claims };
  const meanings: Meanings = { ...vonageMeanings(now), partner_id: () => 'the OpenTok API key (project)' };
  return report(
    'opentok-t1',
    'OpenTok token (T1)',
    { header: undefined, claims: all },
    explainAll(all, meanings, 'not read by OpenTok'),
    claims.expire_time,
    checks,
  );
}
