/**
 * LiveKit's own client SDK (livekit-client) fetches from roomkey's standard token endpoint on a
 * real Express app, as every LiveKit client does (`TokenSource.endpoint(url, { headers })`), and
 * the token it gets is one livekit-server-sdk's TokenVerifier accepts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSecret } from '@roomkey/core';
import { createTokenIssuer, issueLiveKitToken, issueTokens } from '@roomkey/express';
import express from 'express5';
import { TokenSource } from 'livekit-client';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const API_KEY = 'APIclient';
const API_SECRET = generateSecret();
const SERVER_URL = 'wss://media.example.test';
const SESSION = 'session-of-ann';

let server: Server;
let base: string;

beforeAll(async () => {
  const issuer = createTokenIssuer({
    identify: (req) => (req.get('authorization') === `Bearer ${SESSION}` ? { id: 'ann' } : null),
    authorize: () => ({ role: 'publisher', rooms: ['stage'], livekit: { clientMay: { name: true } } }),
    livekit: { apiKey: API_KEY, apiSecret: API_SECRET, url: SERVER_URL },
  });
  const app = express();
  app.all('/tokens', issueTokens(issuer));
  app.all('/livekit-token', issueLiveKitToken(issuer));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("livekit-client's TokenSource.endpoint against roomkey", () => {
  it('fetch({ roomName }) returns the server URL and a token the SDK verifier accepts', async () => {
    const source = TokenSource.endpoint(`${base}/livekit-token`, { headers: { authorization: `Bearer ${SESSION}` } });
    const { serverUrl, participantToken } = await source.fetch({ roomName: 'stage', participantName: 'Ann' });
    expect(serverUrl).toBe(SERVER_URL);
    const claims = await new TokenVerifier(API_KEY, API_SECRET).verify(participantToken);
    expect(claims).toMatchObject({ iss: API_KEY, sub: 'ann', name: 'Ann', video: { room: 'stage', roomJoin: true } });
  });

  it('a room the grant does not list, or no session, is an error the client reports', async () => {
    const signedIn = TokenSource.endpoint(`${base}/livekit-token`, { headers: { authorization: `Bearer ${SESSION}` } });
    await expect(signedIn.fetch({ roomName: 'backstage' })).rejects.toThrow(/403/);
    const anonymous = TokenSource.endpoint(`${base}/livekit-token`);
    await expect(anonymous.fetch({ roomName: 'stage' })).rejects.toThrow(/401/);
  });
});
