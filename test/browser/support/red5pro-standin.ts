import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRoomkeyError, verifyRed5ProToken } from '@roomkey/core';
import { decodeJwt } from 'jose';
import { MediaStreamTrack, RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

/** What the stand-in decided for one WHIP or WHEP offer. */
export interface Decision {
  readonly kind: 'publish' | 'play';
  /** The scope's last segment: `/live/room-abc/whip/endpoint/s` → `room-abc`. */
  readonly room: string;
  readonly stream: string;
  /** `accepted`, a RoomkeyError code from the verifier (`role_denied`, `token_expired`…), or `no_token`. */
  readonly outcome: string;
  /** The token's `sub`, read without trusting it (for the record only). */
  readonly subject?: string | undefined;
}

/** One HTTP request as it arrived, with the query's parameter names (never the token's value). */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly contentType: string | undefined;
}

export interface Red5ProStandIn {
  readonly port: number;
  readonly decisions: Decision[];
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

const ENDPOINT = /^\/(.+)\/(whip|whep)\/endpoint\/([^/]+)$/;
const RESOURCE = /^\/(.+)\/(whip|whep)\/resource\/([^/]+)\/([0-9a-f-]{36})$/;

/**
 * A local stand-in for Red5 Pro's WHIP and WHEP endpoints, as Red5's WebRTC SDK 11 calls them:
 * `OPTIONS` (ICE servers), `POST /{app}/{room}/whip|whep/endpoint/{stream}?…&token=…` with an
 * SDP offer, `PATCH` of trickled candidates and `DELETE` of the resource it answered with. The
 * token is checked as Red5 Pro's validation process describes (seed 002), by
 * `verifyRed5ProToken`: publish needs the publisher role and WHIP, play the subscriber role and
 * WHEP, and the room is the scope in the path. Accepted offers get a real SDP answer from a
 * werift peer on 127.0.0.1 that accepts the SDK's data channel and relays a published stream's
 * video to its players; refused ones get 401, as Red5 Pro answers a rejected connection.
 */
export async function startRed5ProStandIn(options: {
  readonly secret: string;
  readonly ttlMinutes: number;
  readonly app?: string;
}): Promise<Red5ProStandIn> {
  const app = options.app ?? 'live';
  const decisions: Decision[] = [];
  const requests: SeenRequest[] = [];
  const peers = new Map<string, RTCPeerConnection>();
  const streams = new Map<string, { readonly video: MediaStreamTrack; pli(): void }>();

  async function offer(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray) {
    const [, scope = '', protocol, stream = ''] = match;
    const kind = protocol === 'whip' ? 'publish' : 'play';
    const room = scope.split('/').at(-1) ?? '';
    if (scope.split('/')[0] !== app) {
      res.writeHead(404, cors()).end('Scope resolver failed');
      return;
    }
    const token = url.searchParams.get('token');
    let outcome = 'accepted';
    let subject: string | undefined;
    if (!token) {
      outcome = 'no_token';
    } else {
      try {
        subject = decodeJwt(token).sub;
      } catch {
        subject = undefined;
      }
      try {
        await verifyRed5ProToken(token, {
          secret: options.secret,
          ttlMinutes: options.ttlMinutes,
          require: { role: kind === 'publish' ? 'publisher' : 'subscriber', transport: protocol ?? '', room },
        });
      } catch (error) {
        outcome = isRoomkeyError(error) ? error.code : 'malformed';
      }
    }
    decisions.push({ kind, room, stream, outcome, subject });
    if (outcome !== 'accepted') {
      res.writeHead(401, { ...cors(), 'content-type': 'text/plain' }).end(outcome);
      return;
    }
    const key = `${scope}/${stream}`;
    const published = streams.get(key);
    if (kind === 'play' && !published) {
      res.writeHead(409, cors()).end('Stream is not available to playback.');
      return;
    }

    // WHIP: the SDK's POST carries its offer and gets the answer. WHEP (Red5's flavour): the POST's
    // offer only says what the player can receive; the server answers with an offer of its own,
    // and the SDK PATCHes its answer to the resource.
    const clientOffer = await body(req);
    const peer = new RTCPeerConnection({
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      // Only ever talk to loopback candidates: nothing leaves this machine.
      iceFilterCandidatePair: (pair) => pair.remoteCandidate.host === '127.0.0.1',
    });
    if (kind === 'publish') {
      // The SDK opens a data channel ("red5pro"); Red5 Pro would send its status messages on it.
      peer.onDataChannel.subscribe(() => {});
      const video = new MediaStreamTrack({ kind: 'video' });
      let transceiver: RTCRtpTransceiver | undefined;
      peer.onTrack.subscribe((track) => {
        if (track.kind !== 'video') return;
        transceiver = peer.getTransceivers().find((t) => t.receiver.track === track);
        track.onReceiveRtp.subscribe((rtp) => video.writeRtp(rtp));
      });
      streams.set(key, {
        video,
        pli: () => {
          const ssrc = transceiver?.receiver.track?.ssrc;
          if (transceiver && ssrc !== undefined) transceiver.receiver.sendRtcpPLI(ssrc).catch(() => {});
        },
      });
      await peer.setRemoteDescription({ type: 'offer', sdp: clientOffer });
      await peer.setLocalDescription(await peer.createAnswer());
    } else if (published) {
      peer.addTransceiver(published.video, { direction: 'sendonly' });
      peer.createDataChannel('red5pro');
      // A player needs a key frame to start: ask the publisher for one now and then.
      const timer = setInterval(published.pli, 500);
      peer.connectionStateChange.subscribe((state) => {
        if (state === 'closed' || state === 'failed') clearInterval(timer);
      });
      setTimeout(() => clearInterval(timer), 10_000).unref();
      await peer.setLocalDescription(await peer.createOffer());
    }
    const description = loopbackOnly(peer.localDescription?.sdp ?? '');
    const id = randomUUID();
    peers.set(id, peer);
    const port = (server.address() as AddressInfo).port;
    res
      .writeHead(201, {
        ...cors(),
        'content-type': 'application/sdp',
        location: `http://127.0.0.1:${port}/${scope}/${protocol}/resource/${stream}/${id}`,
      })
      .end(description);
  }

  async function resource(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) {
    const peer = peers.get(match[4] ?? '');
    if (!peer) {
      res.writeHead(404, cors()).end();
      return;
    }
    if (req.method === 'DELETE') {
      peers.delete(match[4] ?? '');
      streams.delete(`${match[1]}/${match[3]}`);
      await peer.close();
      res.writeHead(200, cors()).end();
      return;
    }
    const fragment = await body(req);
    if (req.headers['content-type'] === 'application/sdp') {
      // WHEP: the player's answer to the server's offer.
      await peer.setRemoteDescription({ type: 'answer', sdp: fragment });
      res.writeHead(204, cors()).end();
      return;
    }
    // PATCH application/trickle-ice-sdpfrag: the SDK's candidates.
    for (const line of fragment.split(/\r?\n/)) {
      if (line.startsWith('a=candidate:') && / 127\.0\.0\.1 /.test(line)) {
        await peer.addIceCandidate({ candidate: line.slice(2), sdpMLineIndex: 0 }).catch(() => {});
      }
    }
    res.writeHead(204, cors()).end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: [...url.searchParams.keys()],
      contentType: req.headers['content-type'],
    });
    const endpoint = ENDPOINT.exec(url.pathname);
    const resourceMatch = RESOURCE.exec(url.pathname);
    let handled: Promise<void> | undefined;
    if (req.method === 'OPTIONS') {
      // Preflights, and the SDK's own OPTIONS asking for ICE servers (none: loopback needs none).
      res
        .writeHead(204, {
          ...cors(),
          'access-control-allow-methods': 'POST, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers': 'content-type',
        })
        .end();
    } else if (req.method === 'POST' && endpoint) {
      handled = offer(req, res, url, endpoint);
    } else if ((req.method === 'PATCH' || req.method === 'DELETE') && resourceMatch) {
      handled = resource(req, res, resourceMatch);
    } else {
      res.writeHead(405, cors()).end();
    }
    handled?.catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, cors()).end(error.message);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    port: (server.address() as AddressInfo).port,
    decisions,
    requests,
    async close() {
      await Promise.all([...peers.values()].map((peer) => peer.close().catch(() => {})));
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Keeps only loopback candidates in an SDP that werift gathered on every interface. */
function loopbackOnly(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || line.includes(' 127.0.0.1 '))
    .join('\r\n');
}

function cors(): Record<string, string> {
  return { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'location, link' };
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}
