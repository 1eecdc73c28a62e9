import {
  createOpenTokSigner,
  createRed5CloudClient,
  createRed5ProSigner,
  createVonageVideoSigner,
  type OpenTokSigner,
  type Red5Client,
  type Red5ProSigner,
  type VonageVideoSigner,
} from '@roomkey/core';

/** The signers a token service configured from the environment uses, made (and so checked) once. */
export interface PlatformSigners {
  readonly red5pro?: Red5ProSigner;
  readonly red5cloud?: Red5Client;
  readonly vonage?: VonageVideoSigner;
  readonly opentok?: OpenTokSigner;
}

export interface PlatformEnvironment {
  readonly platforms: PlatformSigners;
  /** The tokens these platforms issue: `red5pro`, `conference`, `chat`, `vonage`. */
  readonly tokenNames: readonly string[];
}

/**
 * Reads the platforms from the environment variables roomkey's example servers read, and creates
 * their signers now, so that a weak secret or key stops the start. Every mistake is an Error
 * whose message names the variable to fix; secrets never appear in a message.
 *
 * RED5PRO_JWT_SECRET, RED5PRO_JWT_ISSUER, RED5PRO_JWT_TTL_MINUTES (default 60); RED5_MASTER_KEY
 * with RED5_MASTER_SECRET, and PUBNUB_ORIGIN; VONAGE_APPLICATION_ID with VONAGE_PRIVATE_KEY (PEM
 * text, `\n` escapes allowed, or a file path); or OPENTOK_API_KEY with OPENTOK_API_SECRET.
 *
 * @example
 * const { platforms, tokenNames } = readPlatformEnvironment(process.env);
 */
export function readPlatformEnvironment(env: NodeJS.ProcessEnv): PlatformEnvironment {
  const platforms: {
    red5pro?: Red5ProSigner;
    red5cloud?: Red5Client;
    vonage?: VonageVideoSigner;
    opentok?: OpenTokSigner;
  } = {};
  const problems: string[] = [];
  const attempt = (make: () => void) => {
    try {
      make();
    } catch (error) {
      problems.push((error as Error).message);
    }
  };
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);

  attempt(() => {
    const secret = value('RED5PRO_JWT_SECRET');
    if (secret === undefined) {
      for (const name of ['RED5PRO_JWT_ISSUER', 'RED5PRO_JWT_TTL_MINUTES']) {
        if (value(name) !== undefined) throw new Error(`${name} is set but RED5PRO_JWT_SECRET is not`);
      }
      return;
    }
    const issuer = value('RED5PRO_JWT_ISSUER');
    const maxTtlMinutes = wholeNumber(env, 'RED5PRO_JWT_TTL_MINUTES', 60, 1, 525_600);
    platforms.red5pro = created(
      () => createRed5ProSigner({ secret, maxTtlMinutes, ...(issuer !== undefined && { issuer }) }),
      { secret: 'RED5PRO_JWT_SECRET', issuer: 'RED5PRO_JWT_ISSUER', maxTtlMinutes: 'RED5PRO_JWT_TTL_MINUTES' },
      'RED5PRO_JWT_*',
    );
  });

  attempt(() => {
    const masterKey = value('RED5_MASTER_KEY');
    const masterSecret = value('RED5_MASTER_SECRET');
    const origin = value('PUBNUB_ORIGIN');
    pair('RED5_MASTER_KEY', masterKey, 'RED5_MASTER_SECRET', masterSecret);
    if (masterKey === undefined || masterSecret === undefined) {
      if (origin !== undefined)
        throw new Error('PUBNUB_ORIGIN is set but RED5_MASTER_KEY and RED5_MASTER_SECRET are not');
      return;
    }
    const pubnub = origin === undefined ? undefined : pubNubOrigin(origin);
    platforms.red5cloud = created(
      () => createRed5CloudClient({ masterKey, masterSecret, ...(pubnub !== undefined && { pubnub }) }),
      { masterKey: 'RED5_MASTER_KEY', masterSecret: 'RED5_MASTER_SECRET', pubnub: 'PUBNUB_ORIGIN' },
      'RED5_*',
    );
  });

  attempt(() => {
    const applicationId = value('VONAGE_APPLICATION_ID');
    const privateKey = value('VONAGE_PRIVATE_KEY');
    const apiKey = value('OPENTOK_API_KEY');
    const apiSecret = value('OPENTOK_API_SECRET');
    pair('VONAGE_APPLICATION_ID', applicationId, 'VONAGE_PRIVATE_KEY', privateKey);
    pair('OPENTOK_API_KEY', apiKey, 'OPENTOK_API_SECRET', apiSecret);
    if (applicationId !== undefined && apiKey !== undefined) {
      throw new Error('set either VONAGE_* or OPENTOK_* variables: both issue the "vonage" token for a session');
    }
    if (applicationId !== undefined && privateKey !== undefined) {
      // PEM text (`\n` escapes as .env files carry them) or a file path: the core reads either.
      platforms.vonage = created(
        () => createVonageVideoSigner({ applicationId, privateKey }),
        { applicationId: 'VONAGE_APPLICATION_ID', privateKey: 'VONAGE_PRIVATE_KEY' },
        'VONAGE_*',
      );
    }
    if (apiKey !== undefined && apiSecret !== undefined) {
      platforms.opentok = created(
        () => createOpenTokSigner({ apiKey, apiSecret }),
        { apiKey: 'OPENTOK_API_KEY', apiSecret: 'OPENTOK_API_SECRET' },
        'OPENTOK_*',
      );
    }
  });

  if (problems.length > 0) throw new Error(problems.join('\n'));
  const tokenNames = [
    ...(platforms.red5pro ? ['red5pro'] : []),
    ...(platforms.red5cloud ? ['conference', 'chat'] : []),
    ...(platforms.vonage || platforms.opentok ? ['vonage'] : []),
  ];
  return { platforms, tokenNames };
}

/** A signer's TypeError names an option; the message names the environment variable instead. */
function created<T>(create: () => T, variables: Record<string, string>, fallback: string): T {
  try {
    return create();
  } catch (error) {
    const option = /^\w+/.exec((error as Error).message)?.[0] ?? '';
    throw new Error(`${Object.hasOwn(variables, option) ? variables[option] : fallback}: ${(error as Error).message}`);
  }
}

function pair(first: string, a: string | undefined, second: string, b: string | undefined): void {
  if ((a === undefined) !== (b === undefined)) throw new Error(`set ${first} and ${second} together (or neither)`);
}

/** `host:port` (or `host`), checked here to name the variable; the core speaks plain HTTP only to loopback. */
function pubNubOrigin(origin: string): { origin: string } {
  try {
    new URL(`http://${origin}`);
  } catch {
    throw new Error('PUBNUB_ORIGIN must be host or host:port, such as ps.pndsn.com or 127.0.0.1:8090');
  }
  return { origin };
}

export function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const number = Number(raw);
  if (!/^\d+$/.test(raw) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return number;
}
