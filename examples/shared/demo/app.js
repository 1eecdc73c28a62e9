// The demo page: one ES module, no build step. Tokens come from @roomkey/client, served by the
// example server as /roomkey-client.js, and live in this module's memory only.
import { createTokenClient } from '/roomkey-client.js';

const $ = (selector) => document.querySelector(selector);

// Countdowns use the server's clock, as the client's refresh does, so a wrong clock on this
// computer still shows the truth: every answer's Date header says how far off this one is.
let serverOffset = 0;
const serverNow = () => Date.now() + serverOffset;
async function fetchNotingServerTime(url, init) {
  const response = await fetch(url, init);
  const date = Date.parse(response.headers.get('date') ?? '');
  if (date) serverOffset = date - Date.now();
  return response;
}

const client = createTokenClient({ url: '/tokens', fetch: fetchNotingServerTime });
const watches = new Set();
const config = await (await fetchNotingServerTime('/demo/config.json')).json();

function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

// 1. Who are you? ------------------------------------------------------------------------------

function signedIn() {
  const match = new RegExp(`(?:^|; )${config.cookie}=([^;]*)`).exec(document.cookie);
  return config.users.find((user) => user.credential === match?.[1]);
}

function showSession() {
  const user = signedIn();
  for (const button of document.querySelectorAll('#users button')) {
    button.setAttribute('aria-pressed', String(button.value === user?.credential));
  }
  $('#session').textContent = user
    ? `Signed in as ${user.id}: at most ${user.maxRole}.`
    : 'Nobody is signed in: token requests get 401.';
  $('#logout').disabled = !user;
}

/** Logout, and switching users: every watch stops, every request is aborted, every token forgotten. */
function forgetEverything() {
  client.clear();
  watches.clear();
  stopMedia();
  $('#watches').replaceChildren();
  $('#empty').hidden = false;
}

for (const user of config.users) {
  const button = element('button', { type: 'button', value: user.credential }, `${user.id} (${user.maxRole})`);
  button.addEventListener('click', () => {
    forgetEverything();
    // biome-ignore lint/suspicious/noDocumentCookie: the demo identity is a plain cookie the server reads
    document.cookie = `${config.cookie}=${user.credential}; path=/; SameSite=Strict`;
    showSession();
  });
  $('#users').append(button);
}

$('#logout').addEventListener('click', () => {
  forgetEverything();
  // biome-ignore lint/suspicious/noDocumentCookie: the demo identity is a plain cookie the server reads
  document.cookie = `${config.cookie}=; path=/; SameSite=Strict; max-age=0`;
  showSession();
  $('#session').textContent = 'Logged out: client.clear() stopped every watch and forgot every token.';
});
showSession();

// 2. and 3. Ask for tokens, watch them ------------------------------------------------------------

/** A JWT's header and claims, decoded (not verified: the page cannot and need not). */
function decode(token) {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return token.startsWith('T1==') ? 'a legacy OpenTok T1 token (not a JWT)' : 'an opaque token (not a JWT)';
  }
  const json = (part) => {
    const bytes = Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  };
  return JSON.stringify({ header: json(parts[0]), claims: json(parts[1]) }, null, 2);
}

const clock = (date) => date.toLocaleTimeString([], { hour12: false });

function countdown(span) {
  const seconds = Math.round((Number(span.dataset.expires) - serverNow()) / 1000);
  const sign = seconds < 0 ? '-' : '';
  const left = Math.abs(seconds);
  span.textContent = `${sign}${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}
setInterval(() => document.querySelectorAll('.countdown').forEach(countdown), 1000);

function watchTokens(request) {
  const card = element('article', { className: 'watch' });
  const status = element('p', { className: 'status' }, 'asking…');
  const tokens = element('div', { className: 'tokens' });
  const stopButton = element('button', { type: 'button' }, 'Stop watching');
  card.append(element('h3', {}, `POST /tokens ${JSON.stringify(request)}`), status, tokens, stopButton);
  $('#watches').prepend(card);
  $('#empty').hidden = true;

  let deliveries = 0;
  const stop = client.watch(request, {
    onTokens(body) {
      deliveries++;
      card.classList.remove('refused');
      card.dataset.deliveries = String(deliveries);
      status.textContent =
        deliveries === 1
          ? `Issued to ${body.identity} as ${body.role} at ${clock(new Date(serverNow()))}.`
          : `Refreshed ${deliveries - 1}× before expiry, last at ${clock(new Date(serverNow()))}.`;
      tokens.replaceChildren(
        ...Object.entries(body.tokens).map(([name, { token, iceServers, expiresAt }]) => {
          const span = element('span', { className: 'countdown' });
          span.dataset.expires = String(Date.parse(expiresAt));
          countdown(span);
          return element(
            'div',
            { className: 'token' },
            element('h4', {}, name),
            element('p', {}, `expires ${clock(new Date(expiresAt))}, in `, span),
            iceServers ? relayProof(iceServers) : element('pre', { className: 'claims' }, decode(token)),
          );
        }),
      );
    },
    onError(error) {
      card.classList.add('refused');
      card.dataset.code = error.code;
      const final = error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
      status.replaceChildren(
        element('strong', {}, `Refused: ${error.status} ${error.code}`),
        ` ${error.detail ?? ''}${final ? '' : ' (retrying)'}`,
      );
      if (final) tokens.replaceChildren();
    },
  });
  watches.add(stop);
  stopButton.addEventListener('click', () => {
    stop();
    watches.delete(stop);
    card.remove();
    $('#empty').hidden = $('#watches').childElementCount > 0;
  });
}

// TURN: the credentials, and a connection through the relay -----------------------------------

/** The iceServers as the page got them, the credential hidden (it is the TURN password). */
const shownIceServers = (iceServers) =>
  JSON.stringify(
    iceServers.map((server) => (server.credential ? { ...server, credential: '(hidden)' } : server)),
    null,
    2,
  );

/**
 * Proves the relay: two RTCPeerConnections in this page, allowed relay candidates only
 * (iceTransportPolicy 'relay'), open a data channel through the TURN server with these
 * iceServers; the selected pair's candidate types come from getStats().
 */
function relayProof(iceServers) {
  const result = element('p', { className: 'relay' }, 'Relay: connecting two peers through TURN…');
  connectThroughRelay(iceServers).then(
    ({ open, local, remote, errors }) => {
      result.dataset.open = String(open);
      result.dataset.local = local ?? '';
      result.dataset.remote = remote ?? '';
      result.textContent = open
        ? `Relay: data channel open through TURN; selected pair: local ${local}, remote ${remote}.`
        : `Relay: no connection through TURN${errors.length > 0 ? ` (candidate errors: ${errors.join(', ')})` : ''}.`;
    },
    (error) => {
      result.dataset.open = 'false';
      result.textContent = `Relay: ${error.message}`;
    },
  );
  return element('div', {}, element('pre', { className: 'claims' }, shownIceServers(iceServers)), result);
}

async function connectThroughRelay(iceServers, waitMs = 15_000) {
  const configuration = { iceServers, iceTransportPolicy: 'relay' };
  const a = new RTCPeerConnection(configuration);
  const b = new RTCPeerConnection(configuration);
  const errors = [];
  let gathered = 0;
  let timer;
  let settle;
  const opened = new Promise((resolve) => {
    settle = resolve;
    timer = setTimeout(() => resolve(false), waitMs);
  });
  for (const [from, to] of [
    [a, b],
    [b, a],
  ]) {
    from.onicecandidate = ({ candidate }) => {
      if (candidate) {
        gathered++;
        to.addIceCandidate(candidate).catch(() => {});
      } else if (gathered === 0 && a.iceGatheringState === 'complete' && b.iceGatheringState === 'complete') {
        settle(false); // both done, no relay candidate (the TURN server refused): no pair can form
      }
    };
    from.onicecandidateerror = (event) => errors.push(event.errorCode);
  }
  const channel = a.createDataChannel('roomkey');
  channel.onopen = () => settle(true);
  try {
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    const open = await opened;
    if (!open) return { open, errors };
    const stats = await a.getStats();
    let pair;
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId)
        pair = stats.get(report.selectedCandidatePairId);
    });
    return {
      open,
      local: stats.get(pair?.localCandidateId)?.candidateType,
      remote: stats.get(pair?.remoteCandidateId)?.candidateType,
      errors,
    };
  } finally {
    clearTimeout(timer);
    a.close();
    b.close();
  }
}

$('#request').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const transports = form.getAll('transports');
  const ttl = Number(form.get('ttlMinutes'));
  watchTokens({
    room: form.get('room'),
    ...(form.get('role') && { role: form.get('role') }),
    ...(transports.length > 0 && { transports }),
    ...(ttl > 0 && { ttlMinutes: ttl }),
    ...(form.get('turn') && { turn: true }),
  });
});

// 4. Publish and play with Red5's WebRTC SDK ------------------------------------------------------

const media = { publisher: undefined, subscriber: undefined };

function log(text) {
  const list = $('#media-log');
  list.append(element('li', {}, `${clock(new Date())} ${text}`));
  while (list.childElementCount > 40) list.firstElementChild.remove();
}

function stopMedia() {
  media.publisher?.unpublish(true).catch(() => {}); // true: also release the camera preview
  media.subscriber?.unsubscribe().catch(() => {});
  media.publisher = undefined;
  media.subscriber = undefined;
}

/** Publishes (`WHIP`) or plays (`WHEP`) the stream in the form's room with a token from the client. */
async function connect(kind) {
  const { WHIPClient, WHEPClient } = window.red5prosdk;
  const room = $('#request').elements.room.value;
  const streamName = $('#stream').value;
  const transport = kind === 'publish' ? 'WHIP' : 'WHEP';
  // The "relay only" switch: TURN credentials with the token, and the SDK allowed relay candidates only.
  const relayOnly = $('#request').elements.turn.checked;
  log(`${kind}: asking for a token (room ${room}, ${transport}, the granted role${relayOnly ? ', TURN' : ''})`);
  let tokens;
  try {
    ({ tokens } = await client.get({ room, transports: [transport], ...(relayOnly && { turn: true }) }));
  } catch (error) {
    log(`${kind}: no token: ${error.status} ${error.code}`);
    return;
  }
  const { token } = tokens.red5pro;
  const rtcConfiguration = relayOnly
    ? { iceServers: tokens.turn.iceServers, iceTransportPolicy: 'relay', bundlePolicy: 'max-bundle' }
    : { iceServers: [], bundlePolicy: 'max-bundle' };
  if (relayOnly)
    log(`${kind}: through the TURN relay only (credentials expire ${clock(new Date(tokens.turn.expiresAt))})`);
  const sdk = kind === 'publish' ? new WHIPClient() : new WHEPClient();
  media[kind === 'publish' ? 'publisher' : 'subscriber'] = sdk;
  sdk.on('*', (event) => {
    if (!/Ice|Candidate|Offer|Answer|Statistics|Metadata|Volume|Time/i.test(event.type)) log(`${kind}: ${event.type}`);
  });
  const { protocol, host, port, app } = config.red5pro;
  try {
    await sdk.init({
      protocol,
      host,
      port,
      app: `${app}/${room}`,
      streamName,
      mediaElementId: kind === 'publish' ? 'red5pro-publisher' : 'red5pro-subscriber',
      rtcConfiguration,
      connectionParams: { username: 'roomkey', password: 'roomkey', token },
    });
    await (kind === 'publish' ? sdk.publish() : sdk.subscribe());
  } catch (error) {
    log(`${kind}: refused by the server: ${error?.message ?? error}`);
    // The SDK took the camera before asking: let it go again.
    (kind === 'publish' ? sdk.unpublish(true) : sdk.unsubscribe()).catch(() => {});
  }
}

if (config.red5pro) {
  $('#media').hidden = false;
  $('#media-server').textContent = `${config.red5pro.protocol}://${config.red5pro.host}:${config.red5pro.port}`;
  const script = element('script', { src: '/demo/red5pro-sdk.min.js' });
  script.addEventListener('load', () => log('red5pro-webrtc-sdk loaded'));
  document.head.append(script);
  $('#publish').addEventListener('click', () => connect('publish'));
  $('#play').addEventListener('click', () => connect('play'));
  $('#stop-media').addEventListener('click', () => {
    stopMedia();
    log('stopped');
  });
}

document.body.dataset.ready = 'true';
