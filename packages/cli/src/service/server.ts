import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTokenIssuer,
  type DeniedEvent,
  type IssuedEvent,
  type Logger,
  problemResponse,
  type RateLimiter,
  type TokenIssuer,
  type TokenResponse,
  tokenIssuerFor,
} from '@roomkey/core';
import { Redis } from 'ioredis';
import type { Logger as PinoLogger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { ServiceConfig, TokenName } from '../config/service-config.js';
import { corsHeaders, preflight } from './cors.js';
import { createServiceIdentity } from './identity.js';
import { createMetrics } from './metrics.js';
import { toTokenRequest, writeResponse } from './node-http.js';
import { type TokenRoute, tokenRoutes } from './routes.js';

/** What one request did, for its single log line. */
interface RequestRecord {
  user?: string;
  key?: string;
  role?: string;
  code?: string;
  tokens?: string[];
}

export interface RunningService {
  /** `http://host:port` of the token routes. */
  readonly url: string;
  /** `http://host:port/metrics` of its own listener, when metrics are on. */
  readonly metricsUrl: string | undefined;
  /** Stop accepting, finish requests in flight within the bound, close Redis. */
  close(): Promise<void>;
}

/**
 * Starts `roomkey serve`: the token routes on node:http around the core's pipeline, health,
 * readiness, metrics, one log line per request, rate limits in memory or shared through Redis.
 */
export async function startService(config: ServiceConfig, log: PinoLogger): Promise<RunningService> {
  const metrics = createMetrics();
  const records = new AsyncLocalStorage<RequestRecord>();
  const identity = createServiceIdentity(config, log);
  const redis = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl, log);
  const rateLimit = limiters(config, redis);

  // The core logs issued and denied events through hooks here (one line per request, below);
  // what reaches its logger is a failure.
  const coreLogger: Logger = {
    info: () => {},
    warn: () => {},
    error: (object, message) => log.error(object, message),
  };
  const routes = tokenRoutes(config);
  const issuers = new Map<string, TokenIssuer<IncomingMessage>>();
  const issuerFor = (platforms: 'any' | readonly TokenName[]): TokenIssuer<IncomingMessage> => {
    const allowed =
      platforms === 'any'
        ? config.tokenNames
        : config.tokenNames.filter((name) => platforms.includes(name as TokenName));
    const cacheKey = allowed.join(',');
    let issuer = issuers.get(cacheKey);
    if (issuer === undefined) {
      const made: TokenIssuer<IncomingMessage> = createTokenIssuer<IncomingMessage>({
        identify: (req) => identity.identify(req, made.checkUserId),
        authorize: identity.authorize,
        // Exactly the token kinds this caller may have, on every route: a platform that issues
        // two (Red5 Cloud's conference and chat) gives only the allowed one.
        platforms: config.tokenPlatforms.filter((platform) => allowed.includes(platform.tokenName)),
        requireHttps: config.requireHttps,
        ...(rateLimit !== undefined && { rateLimit }),
        logger: coreLogger,
        onIssued: (event: IssuedEvent) => {
          const record = records.getStore();
          if (record !== undefined) {
            record.user = event.userId;
            record.role = event.role;
            record.tokens = Object.keys(event.expiresAt);
          }
          for (const platform of Object.keys(event.expiresAt)) metrics.issued.inc({ platform, role: event.role });
        },
        onDenied: (event: DeniedEvent) => {
          const record = records.getStore();
          if (record !== undefined) {
            record.code = event.code;
            if (event.userId !== undefined) record.user = event.userId;
          }
          metrics.refused.inc({ code: event.code });
        },
      });
      // The start-up checks of each route this caller may use, as an adapter's mount makes them.
      for (const { protocol, tokenName } of routes.values()) {
        if (tokenName !== undefined && made.tokenNames.includes(tokenName)) tokenIssuerFor(made, protocol);
      }
      issuer = made;
      issuers.set(cacheKey, issuer);
    }
    return issuer;
  };
  // Made now, so that every combination a key or OIDC allows is checked before listening.
  for (const key of config.serviceKeys) issuerFor(key.platforms);
  // Without OIDC, a request reaches this issuer only to be refused: identify answers 401 to a
  // caller without a valid service key.
  const defaultIssuer = issuerFor(config.oidc?.platforms ?? 'any');

  let draining = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];

  async function tokens(req: IncomingMessage, res: ServerResponse, route: TokenRoute, record: RequestRecord) {
    const key = identity.keyFor(req);
    if (key !== undefined) record.key = key.name;
    const issuer = key === undefined ? defaultIssuer : issuerFor(key.platforms);
    const { protocol, tokenName: needed } = route;
    let response: TokenResponse;
    if (needed !== undefined && !issuer.tokenNames.includes(needed)) {
      record.code = 'forbidden';
      metrics.refused.inc({ code: 'forbidden' });
      response = problemResponse('forbidden', `This caller may not have ${needed} tokens.`);
    } else {
      response = await records.run(record, () => issuer.handle(toTokenRequest(req, config.trustProxy), protocol));
      if (response.status === 500) metrics.refused.inc({ code: 'internal_error' });
    }
    writeResponse(res, response);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const path = pathOf(req.url);
    const tokenRoute = routes.get(path);
    const serves = tokenRoute !== undefined;
    const probe = path === '/healthz' || path === '/readyz';
    const route = serves || probe ? path : 'other';
    const record: RequestRecord = {};
    inFlight++;
    if (draining) res.setHeader('connection', 'close');
    try {
      if (serves) {
        const origin = req.headers.origin;
        if (req.method === 'OPTIONS') {
          writeEmpty(res, preflight(origin, config.corsOrigins));
        } else {
          for (const [name, value] of Object.entries(corsHeaders(origin, config.corsOrigins)))
            res.setHeader(name, value);
          await tokens(req, res, tokenRoute, record);
        }
      } else if (path === '/healthz') await plain(req, res, 200, { status: 'ok' });
      else if (path === '/readyz') {
        const reason = await notReady();
        await plain(
          req,
          res,
          reason === undefined ? 200 : 503,
          reason === undefined ? { status: 'ready' } : { status: 'not ready', reason },
        );
      } else writeResponse(res, problemResponse('not_found', 'No such route: tokens are at POST /tokens.'));
    } catch (error) {
      log.error({ err: error, route }, 'roomkey: request failed');
      if (!res.headersSent)
        writeResponse(res, problemResponse('internal_error', 'The service failed; the error has been logged.'));
      else res.destroy();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.duration.observe({ route, status: String(res.statusCode) }, seconds);
      // One line per request; never a header, a token, a key or a query string. Probes come every
      // few seconds and say nothing new: debug only.
      log[probe ? 'debug' : 'info'](
        {
          event: 'roomkey.request',
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
          ...record,
        },
        'request',
      );
      inFlight--;
      if (inFlight === 0) for (const resolve of idle.splice(0)) resolve();
    }
  }

  async function notReady(): Promise<string | undefined> {
    if (draining) return 'shutting down';
    if (redis === undefined) return undefined;
    if (redis.status !== 'ready') return 'Redis is not reachable';
    try {
      await withTimeout(redis.ping(), 1000);
      return undefined;
    } catch {
      return 'Redis does not answer';
    }
  }

  async function sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res);
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function plain(req: IncomingMessage, res: ServerResponse, status: number, value: object): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res);
    const body = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => void handle(req, res));
  server.listen(config.port, config.host);
  await listening(server);
  let metricsServer: Server | undefined;
  if (typeof config.metrics === 'object') {
    metricsServer = createServer((req, res) => {
      if (pathOf(req.url) === '/metrics') void sendMetrics(req, res).catch(() => res.destroy());
      else writeResponse(res, problemResponse('not_found', 'Metrics are at GET /metrics.'));
    });
    metricsServer.listen(config.metrics.port, config.metrics.host);
    await listening(metricsServer);
  }

  const url = urlOf(server);
  return {
    url,
    metricsUrl: metricsServer === undefined ? undefined : `${urlOf(metricsServer)}/metrics`,
    async close() {
      draining = true;
      server.close();
      server.closeIdleConnections();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      if (inFlight > 0) {
        const finished = new Promise<void>((resolve) => idle.push(resolve));
        const late = await withTimeout(finished, config.shutdownTimeoutMs).then(
          () => false,
          () => true,
        );
        if (late)
          log.warn(
            { event: 'roomkey.shutdown', inFlight },
            'requests still in flight at the shutdown bound: closing them',
          );
      }
      server.closeAllConnections();
      if (redis !== undefined) await withTimeout(redis.quit(), 2000).catch(() => redis.disconnect());
    },
  };
}

function limiters(
  config: ServiceConfig,
  redis: Redis | undefined,
): { issued?: RateLimiter; failures?: RateLimiter } | undefined {
  const make = (
    window: { points: number; duration: number } | undefined,
    keyPrefix: string,
  ): RateLimiter | undefined => {
    if (window === undefined) return undefined;
    return redis === undefined
      ? new RateLimiterMemory({ keyPrefix, ...window })
      : new RateLimiterRedis({ storeClient: redis, keyPrefix, ...window });
  };
  const issued = make(config.rateLimit.tokens, 'roomkey-issued');
  const failures = make(config.rateLimit.failures, 'roomkey-failures');
  if (issued === undefined && failures === undefined) return undefined;
  return { ...(issued !== undefined && { issued }), ...(failures !== undefined && { failures }) };
}

/**
 * A Redis client that fails fast instead of queueing commands while Redis is away: a request
 * then gets an answer at once (the limiter's failure) rather than hanging, and /readyz says so.
 */
function connectRedis(url: string, log: PinoLogger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let reported = false;
  redis.on('error', (error: Error) => {
    // ioredis reports every failed reconnect: once per outage is enough (never the URL: it may hold a password).
    if (!reported) log.warn({ event: 'roomkey.redis', err: { message: error.message } }, 'Redis is not reachable');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

/**
 * The path a request names, in origin form (`/tokens?x`) or absolute form
 * (`http://host/tokens`, which RFC 9112 §3.2.2 says a server must accept).
 */
function pathOf(target: string | undefined): string {
  if (target === undefined) return '/';
  if (target.startsWith('/')) return target.split('?')[0] as string;
  try {
    const url = new URL(target);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.pathname : target;
  } catch {
    return target;
  }
}

function writeEmpty(
  res: ServerResponse,
  { status, headers }: { status: number; headers: Record<string, string> },
): void {
  res.writeHead(status, headers);
  res.end();
}

function methodNotAllowed(res: ServerResponse): void {
  writeResponse(res, problemResponse('method_not_allowed', 'Use GET.', { allow: 'GET, HEAD' }));
}

async function listening(server: Server): Promise<void> {
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
}

function urlOf(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
