import pino from 'pino';
import { loadConfig, wantsLocalRed5Cloud } from './config.js';
import { startLocalRed5Cloud } from './local-red5cloud.js';

export { DEFAULT_DEV_SECRET_FILE, loadConfig } from './config.js';
export { authorizeDemoUser, DEMO_COOKIE, DEMO_USERS, identifyDemoUser } from './demo.js';
export { createDemoPage, loadRed5ProMedia } from './demo-page.js';

/** JSON log lines on stdout; roomkey's audit events arrive here. */
export function createLogger() {
  return pino({ base: undefined, level: process.env.LOG_LEVEL || 'info' });
}

/** The start-up banner: where the server listens, one curl line to try it, and secret warnings. */
export function announce(config, address, framework) {
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const lines = [
    `roomkey example token server (${framework}) listening on ${url}`,
    'Try it:',
    `  curl -s -X POST ${url}/tokens -H 'Authorization: Bearer demo-bob' -H 'Content-Type: application/json' -d '{"room":"room-abc","role":"publisher"}'`,
    'Demo users: demo-alice (moderator), demo-bob (publisher), demo-carol (subscriber).',
    `Demo page: open ${url}/ in a browser${
      config.red5proMedia
        ? ` (publishes and plays on ${config.red5proMedia.protocol}://${config.red5proMedia.host}:${config.red5proMedia.port})`
        : ''
    }.`,
    `Tokens: ${config.tokens.join(', ')}.`,
  ];
  if (config.localRed5Cloud) {
    lines.push(
      `Red5 Cloud: local mode (RED5_CLOUD_LOCAL): demo credentials made for this run, PubNub grants from a stand-in on http://${config.localRed5Cloud}.`,
      '  Conference and chat tokens are real in shape but work against nothing but that stand-in.',
    );
  }
  if (config.platforms.red5cloud) {
    lines.push(
      'Red5 WebRTC SDK routes: POST /chat-token (its backend URL) and POST /config-meetings/api/generate-token;',
      '  browsers may send the demo identity as the cookie roomkey_demo=demo-bob.',
    );
  }
  if (config.platforms.livekit) {
    lines.push(
      "LiveKit's token endpoint: POST /livekit-token (for TokenSource.endpoint(url) in LiveKit's client SDKs).",
    );
  }
  if (config.platforms.turn) {
    lines.push('TURN: "turn": true in POST /tokens answers tokens.turn = { iceServers, expiresAt } (TURN_URLS).');
  }
  if (config.devSecretFile) {
    lines.push(
      '',
      '!!! RED5PRO_JWT_SECRET is not set: using a development secret generated into',
      `!!!   ${config.devSecretFile}`,
      "!!! Configure your Red5 Pro server's JWT secret with the contents of that file, or set",
      '!!! RED5PRO_JWT_SECRET to the secret your server already uses. Never use this in production.',
    );
  }
  if (config.production) {
    lines.push('', '!!! NODE_ENV=production with the demo identities: replace identifyDemoUser before deploying.');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Starts an example server: configuration from the environment, checked before listening.
 * A configuration mistake ends the process with a message that says what to fix.
 */
export async function runServer(createApp, framework) {
  let config;
  let app;
  let local;
  try {
    let env = process.env;
    if (wantsLocalRed5Cloud(env)) {
      local = await startLocalRed5Cloud();
      env = { ...env, ...local.env };
    }
    config = loadConfig(env);
    config.localRed5Cloud = local?.origin;
    app = createApp({
      issuer: config.issuer,
      trustProxy: config.trustProxy,
      logger: createLogger(),
      red5pro: config.red5proMedia,
    });
  } catch (error) {
    process.stderr.write(`Cannot start the ${framework} example: ${error.message}\n`);
    process.exit(1);
  }
  const server = app.listen(config.port, config.host, () => announce(config, server.address(), framework));
  server.on('error', (error) => {
    process.stderr.write(`Cannot listen on ${config.host}:${config.port}: ${error.message}\n`);
    process.exit(1);
  });
  server.on('close', () => local?.close());
  return server;
}
