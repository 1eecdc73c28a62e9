import { Command } from 'commander';
import { platformHelp } from '../config/registry.js';
import { ConfigError, loadServiceConfig } from '../config/service-config.js';
import { EXIT } from '../output.js';
import { tokenRoutes } from '../service/routes.js';
import { type CommandContext, example } from './context.js';

/** `roomkey serve`: the token service for backends in any language, until SIGTERM or SIGINT. */
export function serveCommand(context: CommandContext): Command {
  return new Command('serve')
    .description(
      "run the standalone token service (POST /tokens and the configured platforms' routes, /healthz, /readyz, /metrics)",
    )
    .option(
      '--config <path>',
      'the JSON configuration file (default ROOMKEY_CONFIG); secrets come from the environment',
    )
    .option('--check', 'check the configuration and the environment, say what would run, and exit')
    .addHelpText('after', platformHelp())
    .addHelpText(
      'after',
      example(
        'RED5PRO_JWT_SECRET=… ROOMKEY_OIDC_ISSUER=https://example.eu.auth0.com/ ROOMKEY_OIDC_AUDIENCE=https://video.example.com ' +
          'ROOMKEY_OIDC_ROOMS=any ROOMKEY_OIDC_PLATFORMS=red5pro ROOMKEY_OIDC_TRANSPORTS=WHIP,WHEP roomkey serve',
        'browsers call POST /tokens with their access token; see the package README for service keys and the file',
      ),
    )
    .action(async (options: { config?: string; check?: true }) => {
      let config: ReturnType<typeof loadServiceConfig>;
      try {
        config = loadServiceConfig({ env: context.env, file: options.config });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        context.stderr.write(
          `${context.errorStyle.red('roomkey serve cannot start.')} Fix the configuration:\n` +
            error.problems.map((problem) => `  - ${problem}\n`).join(''),
        );
        process.exitCode = EXIT.usage;
        return;
      }
      if (options.check) {
        const identity = [...(config.oidc ? ['oidc'] : []), ...(config.serviceKeys.length > 0 ? ['service'] : [])];
        context.stdout.write(
          `configuration OK: tokens ${config.tokenNames.join(', ')}; identity ${identity.join(' and ')}; ` +
            `${config.serviceKeys.length} service key(s); listens on ${config.host}:${config.port}; ` +
            `metrics ${config.metrics === false ? 'off' : `on ${config.metrics.host}:${config.metrics.port}`}; ` +
            `CORS ${config.corsOrigins.length === 0 ? 'off' : config.corsOrigins.join(', ')}; ` +
            `routes POST ${[...tokenRoutes(config).keys()].join(', ')}\n`,
        );
        return;
      }
      // Loaded here: the other commands start faster without the server's modules.
      const [{ default: pino }, { startService }] = await Promise.all([import('pino'), import('../service/server.js')]);
      // Synchronous writes: lines reach stdout in the order they were written, also when the
      // process exits right after (the asynchronous default let "stopped" overtake "draining").
      const log = pino(
        { base: null, level: context.env.LOG_LEVEL || 'info' },
        pino.destination({ dest: 1, sync: true }),
      );
      const service = await startService(config, log);
      const stopped = new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            log.warn({ event: 'roomkey.shutdown', signal }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          // close() stops accepting before it returns; the line says so only then. Its promise
          // settles later, so "stopped" always follows (the log writes synchronously).
          const closing = service.close();
          log.info({ event: 'roomkey.shutdown', signal }, 'draining: no new connections, finishing requests in flight');
          closing.then(
            () => {
              log.info({ event: 'roomkey.stopped' }, 'stopped');
              resolve();
            },
            (error: unknown) => {
              log.error({ err: error }, 'shutdown failed');
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      // Announced only once the signals are handled: a supervisor that reads this line and
      // signals at once must get a drain, not the default action (killed, no exit code).
      log.info(
        {
          event: 'roomkey.listening',
          url: service.url,
          metrics: service.metricsUrl ?? 'off',
          tokens: config.tokenNames,
          routes: [...tokenRoutes(config).keys()],
          identity: [...(config.oidc ? ['oidc'] : []), ...(config.serviceKeys.length > 0 ? ['service'] : [])],
          rateLimit: config.redisUrl === undefined ? 'memory' : 'redis',
        },
        `roomkey serve listening on ${service.url}`,
      );
      await stopped;
      // Timers of the metrics collector or a Redis client must not keep a stopped service alive.
      process.exit(process.exitCode ?? EXIT.ok);
    });
}
