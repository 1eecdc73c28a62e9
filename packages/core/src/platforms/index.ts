import type { RoomkeyPlatform } from '../platform.js';
import { liveKitDefinition } from './livekit.js';
import { openTokDefinition } from './opentok.js';
import { red5CloudDefinition } from './red5cloud.js';
import { red5ProDefinition } from './red5pro.js';
import { turnDefinition } from './turn-platform.js';
import { vonageDefinition } from './vonage.js';

/**
 * The built-in platforms: the one list the issuer, its request and grant checks, the routes,
 * serve and the CLI read. A new platform is one module exporting a {@link RoomkeyPlatform} and
 * one line here (and its option in the issuer's options type).
 */
export const BUILT_IN_PLATFORMS = [
  red5ProDefinition,
  vonageDefinition,
  openTokDefinition,
  red5CloudDefinition,
  liveKitDefinition,
  turnDefinition,
] as const satisfies readonly RoomkeyPlatform<unknown, string, string>[];
