import {
  BUILT_IN_PLATFORMS,
  type BuiltInPlatformOptions,
  type RoomkeyPlatform,
  type TokenPlatform,
} from '@roomkey/core';

/**
 * The signers a token service configured from the environment uses, made (and so checked) once:
 * one per platform of `@roomkey/core`'s registry, under its issuer option's name.
 */
export type PlatformSigners = {
  -readonly [Option in keyof BuiltInPlatformOptions]?: Exclude<BuiltInPlatformOptions[Option], undefined>;
};

export interface PlatformEnvironment {
  readonly platforms: PlatformSigners;
  /** The tokens these platforms issue: `red5pro`, `conference`, `chat`, `vonage`, `livekit`. */
  readonly tokenNames: readonly string[];
  /** The registry's entries whose variables are set. */
  readonly configured: readonly RoomkeyPlatform<unknown, string, string>[];
  /**
   * The token platforms these signers make, once: serve hands each caller the ones of its
   * allowed token names (the routes then find theirs by token name).
   */
  readonly tokenPlatforms: readonly TokenPlatform[];
}

/**
 * Reads the platforms from the environment variables each platform of the registry declares
 * (the ones roomkey's example servers read), and creates their signers now, so that a weak
 * secret or key stops the start. Every mistake is an Error whose message names the variable to
 * fix; secrets never appear in a message.
 *
 * RED5PRO_JWT_SECRET, RED5PRO_JWT_ISSUER, RED5PRO_JWT_TTL_MINUTES (default 60); RED5_MASTER_KEY
 * with RED5_MASTER_SECRET, and PUBNUB_ORIGIN; VONAGE_APPLICATION_ID with VONAGE_PRIVATE_KEY (PEM
 * text, `\n` escapes allowed, or a file path); or OPENTOK_API_KEY with OPENTOK_API_SECRET;
 * LIVEKIT_API_KEY with LIVEKIT_API_SECRET, and LIVEKIT_URL.
 *
 * @example
 * const { platforms, tokenNames } = readPlatformEnvironment(process.env);
 */
export function readPlatformEnvironment(env: NodeJS.ProcessEnv): PlatformEnvironment {
  const platforms: Record<string, unknown> = {};
  const configured: RoomkeyPlatform<unknown, string, string>[] = [];
  const tokenPlatforms: TokenPlatform[] = [];
  const problems: string[] = [];
  /** Which platform's variables gave each token, to name both when two give the same. */
  const sources = new Map<string, string>();
  for (const platform of BUILT_IN_PLATFORMS as readonly RoomkeyPlatform<unknown, string, string>[]) {
    if (platform.env === undefined) continue;
    let value: unknown;
    try {
      value = platform.env.read(env);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    if (value === undefined) continue;
    const variables = `${platform.env.variables[0]?.split('_')[0]}_*`;
    for (const name of platform.tokenNames) {
      const earlier = sources.get(name);
      if (earlier !== undefined) {
        problems.push(`set either ${earlier} or ${variables} variables: both issue the "${name}" token`);
      }
      sources.set(name, variables);
    }
    platforms[platform.option] = value;
    configured.push(platform);
    try {
      tokenPlatforms.push(...(platform as RoomkeyPlatform<unknown>).create(value, { clock: Date }));
    } catch (error) {
      problems.push(`${variables}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error([...new Set(problems)].join('\n'));
  return { platforms: platforms as PlatformSigners, tokenNames: [...sources.keys()], configured, tokenPlatforms };
}
