import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, on a registry of its own. Labels stay low-cardinality:
 * token platform, role, problem code, route and status; never a user, room or key.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly issued: Counter<'platform' | 'role'>;
  readonly refused: Counter<'code'>;
  readonly duration: Histogram<'route' | 'status'>;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'roomkey_' });
  return {
    registry,
    issued: new Counter({
      name: 'roomkey_tokens_issued_total',
      help: 'Tokens issued, by platform token (red5pro, conference, chat, vonage) and role.',
      labelNames: ['platform', 'role'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'roomkey_token_requests_refused_total',
      help: 'Token requests answered with a problem, by its code (unauthenticated, forbidden, rate_limited…).',
      labelNames: ['code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'roomkey_request_duration_seconds',
      help: 'Time from request to response, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
