import type { TokenResponseBody } from '@roomkey/core';
import type request from 'supertest';
import { expect } from 'vitest';
import { bearer, type User } from './identity.js';
import { claimsForComparison, JWT_LIKE } from './tokens.js';

export type Agent = ReturnType<typeof request>;
export type Test = request.Test;
export type Response = request.Response;

/** POST /tokens with a JSON body, as a signed-in user (or anonymously with `null`). */
export function postJson(agent: Agent, body: unknown, user: User | null = 'carol'): Test {
  const test = agent.post('/tokens').set('content-type', 'application/json');
  if (user !== null) test.set('authorization', bearer(user));
  return test.send(JSON.stringify(body));
}

/** POST /tokens with a raw body and the given Content-Type (none when `undefined`). */
export function postRaw(
  agent: Agent,
  body: string | Buffer,
  contentType: string | undefined,
  user: User | null = 'carol',
): Test {
  const test = agent.post('/tokens');
  if (contentType !== undefined) test.set('content-type', contentType);
  if (user !== null) test.set('authorization', bearer(user));
  // superagent sends a string as is once a Content-Type is set (it would JSON-encode a Buffer
  // under a JSON type), and a Buffer without inventing a Content-Type when none is set.
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  return test.send(contentType === undefined ? Buffer.from(text) : text);
}

/** POST /tokens with `Transfer-Encoding: chunked` (no Content-Length). */
export function postChunked(agent: Agent, body: string, user: User = 'carol'): Test {
  const test = agent
    .post('/tokens')
    .set('content-type', 'application/json')
    .set('transfer-encoding', 'chunked')
    .set('authorization', bearer(user));
  const half = Math.floor(body.length / 2);
  test.write(body.slice(0, half));
  test.write(body.slice(half));
  return test;
}

const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type'];

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

/** An RFC 9457 problem with roomkey's stable code, not cacheable, with no token in it. */
export function expectProblem(res: Response, status: number, code: string): ProblemBody {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.text).not.toMatch(JWT_LIKE);
  const body = JSON.parse(res.text) as ProblemBody;
  expect(Object.keys(body).sort()).toEqual(PROBLEM_KEYS);
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe('string');
  expect(body.title).toMatch(/^[A-Z][A-Za-z ]+$/);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

/** A 200 token response: JSON, not cacheable, exactly `{ identity, role, tokens }`. */
export function expectTokenResponse(res: Response): TokenResponseBody & {
  tokens: { red5pro: { token: string; expiresAt: string } };
} {
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(res.text);
  expect(Object.keys(body).sort()).toEqual(['identity', 'role', 'tokens']);
  expect(Object.keys(body.tokens)).toEqual(['red5pro']);
  expect(Object.keys(body.tokens.red5pro).sort()).toEqual(['expiresAt', 'token']);
  expect(typeof body.tokens.red5pro.token).toBe('string');
  return body;
}

/** Every token string in a response body (none for errors). */
export function tokensIn(res: Response): string[] {
  try {
    const body = JSON.parse(res.text) as { tokens?: Record<string, { token?: unknown }> };
    return Object.values(body.tokens ?? {})
      .map((entry) => entry.token)
      .filter((token): token is string => typeof token === 'string');
  } catch {
    return [];
  }
}

/** Headers a client can observe that the contract fixes; framework-specific ones are left out. */
const CONTRACT_HEADERS = ['content-type', 'cache-control', 'allow', 'www-authenticate'] as const;

/**
 * A response reduced to what the contract fixes: status, contract headers and body, with each
 * token replaced by its claims (the random `jti` blanked). Equal across variants by contract.
 */
export function normalise(res: Response): unknown {
  const headers = Object.fromEntries(
    CONTRACT_HEADERS.filter((name) => res.headers[name] !== undefined).map((name) => [name, res.headers[name]]),
  );
  let body: unknown = res.text;
  try {
    const parsed = JSON.parse(res.text);
    if (parsed && typeof parsed === 'object' && parsed.tokens) {
      for (const entry of Object.values(parsed.tokens as Record<string, { token: string; claims?: unknown }>)) {
        entry.claims = claimsForComparison(entry.token);
        entry.token = '<token>';
      }
    }
    body = parsed;
  } catch {
    // not JSON: compared as text
  }
  return { status: res.status, headers, body };
}
