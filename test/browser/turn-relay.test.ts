import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTurnCredentialSigner, generateSecret, TURN_MAX_USER_ID_BYTES, type TurnIceServer } from '@roomkey/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoturn, startCoturn } from '../support/coturn.js';
import { launchChromium } from './support/chromium.js';

// Two RTCPeerConnections in Debian's Chromium, allowed to use relay candidates only, connect
// through coturn with the iceServers roomkey issues, exactly as an app hands them over.

/**
 * The page: `relayConnect(iceServers, waitMs)` connects two peers in the page through the relay
 * and sends one message over a data channel. Every wait is bounded by `waitMs` and ends early
 * on the event it waits for (the channel opening, or both peers done gathering). It reports the candidate types gathered, the candidate errors,
 * whether the channel opened, the message received, and the nominated pair's candidate types
 * from getStats().
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>roomkey TURN relay</title><script>
const within = (ms, promise, fallback) =>
  Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);

async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pair;
  stats.forEach((report) => {
    if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
  });
  if (pair === undefined) stats.forEach((report) => {
    if (report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') pair = report;
  });
  if (pair === undefined) return undefined;
  return {
    nominated: pair.nominated === true,
    local: stats.get(pair.localCandidateId)?.candidateType,
    remote: stats.get(pair.remoteCandidateId)?.candidateType,
  };
}

window.relayConnect = async (iceServers, waitMs) => {
  const config = { iceServers, iceTransportPolicy: 'relay' };
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  const gathered = [];
  const errors = [];
  for (const [from, to] of [[a, b], [b, a]]) {
    from.onicecandidate = (event) => {
      if (event.candidate) {
        gathered.push(event.candidate.type);
        to.addIceCandidate(event.candidate).catch(() => {});
      }
    };
    from.onicecandidateerror = (event) => errors.push(event.errorCode);
  }
  const gatheringDone = Promise.all([a, b].map((pc) => new Promise((resolve) => {
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(true); };
  })));
  const channel = a.createDataChannel('roomkey');
  const opened = new Promise((resolve) => { channel.onopen = () => resolve(true); });
  const received = new Promise((resolve) => {
    b.ondatachannel = (event) => { event.channel.onmessage = (message) => resolve(message.data); };
  });
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  // Whichever comes first: the channel opens, or both peers finish gathering. Once both have
  // gathered nothing (relay only, and the TURN server refused), no pair can ever form.
  const first = await within(waitMs, Promise.race([opened.then(() => 'open'), gatheringDone.then(() => 'gathered')]), 'timeout');
  const open = first === 'open' || (first === 'gathered' && gathered.length > 0 && (await within(waitMs, opened, false)));
  let message = null;
  if (open) {
    channel.send('hello through the relay');
    message = await within(waitMs, received, null);
  }
  const pair = open ? await selectedPair(a) : undefined;
  a.close();
  b.close();
  return { open, first, message, pair, gathered, errors };
};
</script><p>roomkey TURN relay test page</p>`;

interface RelayResult {
  readonly open: boolean;
  /** What came first: the channel opened, both peers finished gathering, or neither within the wait. */
  readonly first: 'open' | 'gathered' | 'timeout';
  readonly message: string | null;
  readonly pair: { nominated: boolean; local?: string; remote?: string } | undefined;
  readonly gathered: string[];
  readonly errors: number[];
}

let coturn: RunningCoturn;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  server.listen(0, '127.0.0.1');
  [coturn, browser] = await Promise.all([startCoturn(), launchChromium(), once(server, 'listening')]);
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await coturn?.stop();
  server?.close();
});

/** Bounded wait for each event the page waits on; the connection itself takes about a second. */
const WAIT_MS = 10_000;

function relayConnect(iceServers: TurnIceServer[]): Promise<RelayResult> {
  return page.evaluate(
    ([servers, waitMs]) =>
      (globalThis as unknown as { relayConnect(s: unknown, ms: number): Promise<RelayResult> }).relayConnect(
        servers,
        waitMs,
      ),
    [iceServers, WAIT_MS] as const,
  );
}

describe('TURN credentials in Chromium, relay only', () => {
  it("opens a data channel through coturn with roomkey's iceServers; the nominated pair is relay to relay", async () => {
    const signer = createTurnCredentialSigner({ secret: coturn.secret, urls: [coturn.url] });
    const { iceServers } = signer.issue('alice', 600);
    const result = await relayConnect(iceServers);
    expect(result.open, `${JSON.stringify(result)}\n${coturn.log()}`).toBe(true);
    expect(result.message).toBe('hello through the relay');
    expect(result.pair).toEqual({ nominated: true, local: 'relay', remote: 'relay' });
    expect(result.gathered.length).toBeGreaterThan(0);
    expect(new Set(result.gathered)).toEqual(new Set(['relay']));
  }, 40_000);

  it('accepts the longest username roomkey issues, where RTCPeerConnection refuses a longer one', async () => {
    const signer = createTurnCredentialSigner({ secret: coturn.secret, urls: [coturn.url] });
    const { iceServers } = signer.issue('u'.repeat(TURN_MAX_USER_ID_BYTES), 600);
    const tooLong = [{ ...iceServers[0], username: `${iceServers[0]?.username}uu` }];
    const outcomes = await page.evaluate(
      (configurations) =>
        configurations.map((servers) => {
          try {
            const { RTCPeerConnection } = globalThis as unknown as {
              RTCPeerConnection: new (configuration: unknown) => { close(): void };
            };
            new RTCPeerConnection({ iceServers: servers }).close();
            return 'accepted';
          } catch (error) {
            return (error as Error).message;
          }
        }),
      [iceServers, tooLong],
    );
    expect(outcomes[0]).toBe('accepted');
    expect(outcomes[1]).toMatch(/username is too long/);
  });

  it('gathers no relay candidate and opens no channel with credentials that expired', async () => {
    const past = Date.now() - 3_600_000;
    const signer = createTurnCredentialSigner({
      secret: coturn.secret,
      urls: [coturn.url],
      clock: { now: () => past },
    });
    const result = await relayConnect(signer.issue('alice', 59 * 60).iceServers);
    expect(result.gathered).toEqual([]);
    expect(result.errors).toContain(401);
    expect(result.open).toBe(false);
  }, 40_000);

  it('gathers no relay candidate and opens no channel with credentials signed with another secret', async () => {
    const signer = createTurnCredentialSigner({ secret: generateSecret(), urls: [coturn.url] });
    const result = await relayConnect(signer.issue('alice', 600).iceServers);
    expect(result.gathered).toEqual([]);
    expect(result.errors).toContain(401);
    expect(result.open).toBe(false);
  }, 40_000);
});
