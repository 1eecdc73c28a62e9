import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { problemResponse } from '@roomkey/core';
import { DEMO_COOKIE, DEMO_USERS } from './demo.js';

const require = createRequire(import.meta.url);
const file = (name) => readFileSync(new URL(`./demo/${name}`, import.meta.url));

/**
 * Reads where the demo page's WebRTC buttons publish and play: `RED5PRO_HOST` (a host name or
 * address, no scheme) turns them on; `RED5PRO_PORT` (default 443, or 5080 on a loopback
 * address) and `RED5PRO_APP` (default `live`) complete it. HTTPS, except plain HTTP on a
 * loopback address (a local Red5 Pro or a stand-in). Returns undefined when not set.
 */
export function loadRed5ProMedia(env = process.env) {
  const { RED5PRO_HOST: host, RED5PRO_PORT: rawPort, RED5PRO_APP: rawApp } = env;
  if (!host) {
    if (rawPort || rawApp) throw new Error('RED5PRO_PORT and RED5PRO_APP need RED5PRO_HOST (the Red5 Pro server)');
    return undefined;
  }
  let hostname;
  try {
    ({ hostname } = new URL(`http://${host}`));
  } catch {
    hostname = undefined;
  }
  if (hostname !== host.toLowerCase()) {
    throw new Error('RED5PRO_HOST must be a host name or address without scheme or port, such as red5.example.com');
  }
  const loopback = hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  const port = rawPort ? Number(rawPort) : loopback ? 5080 : 443;
  if (!/^\d{1,5}$/.test(rawPort ?? '443') || port < 1 || port > 65535) {
    throw new Error('RED5PRO_PORT must be a port number from 1 to 65535');
  }
  const app = rawApp || 'live';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(app)) {
    throw new Error('RED5PRO_APP must be the Red5 Pro application name, such as live');
  }
  return { protocol: loopback ? 'http' : 'https', host, port, app };
}

/**
 * The demo page as a framework-neutral handler: `(method, path)` → `{ status, headers, body }`
 * for the page's own paths (`/`, `/roomkey-client.js`, `/demo/*`), `undefined` for any other
 * path, so the app passes the request on. Files are read once, here.
 *
 * @example
 * const demoPage = createDemoPage({ red5pro: loadRed5ProMedia() });
 * app.use((req, res, next) => { const page = demoPage(req.method, req.path); page ? send(res, page) : next(); });
 */
export function createDemoPage({ red5pro } = {}) {
  const media = red5pro ? `${red5pro.protocol}://${red5pro.host}:${red5pro.port}` : '';
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${media && ` ${media}`}`,
    "media-src 'self' blob: mediastream:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const config = {
    cookie: DEMO_COOKIE,
    users: Object.entries(DEMO_USERS).map(([credential, user]) => ({ credential, id: user.id, maxRole: user.maxRole })),
    red5pro: red5pro ?? null,
  };
  const assets = new Map([
    ['/', ['text/html; charset=utf-8', file('index.html')]],
    [
      '/roomkey-client.js',
      ['text/javascript; charset=utf-8', readFileSync(require.resolve('@roomkey/client/browser'))],
    ],
    ['/demo/app.js', ['text/javascript; charset=utf-8', file('app.js')]],
    ['/demo/style.css', ['text/css; charset=utf-8', file('style.css')]],
    ['/demo/config.json', ['application/json; charset=utf-8', Buffer.from(JSON.stringify(config))]],
  ]);
  if (red5pro) {
    const sdk = readFileSync(require.resolve('red5pro-webrtc-sdk/red5pro-sdk.min.js'));
    assets.set('/demo/red5pro-sdk.min.js', ['text/javascript; charset=utf-8', sdk]);
  }

  return (method, path) => {
    const asset = assets.get(path);
    if (!asset) return undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      return problemResponse('method_not_allowed', `${path} answers GET only.`, { allow: 'GET, HEAD' });
    }
    const [type, content] = asset;
    return {
      status: 200,
      headers: {
        'content-type': type,
        'content-length': String(content.length),
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        ...(path === '/' && { 'content-security-policy': csp }),
      },
      body: content, // the framework leaves it out for HEAD
    };
  };
}
