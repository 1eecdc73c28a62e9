export {
  createTokenClient,
  type FetchLike,
  type TokenClient,
  type TokenClientOptions,
  type TokenHeaders,
  type WatchHandlers,
} from './client.js';
export { RoomkeyClientError, type RoomkeyClientErrorCode } from './errors.js';
export type {
  IssuedToken,
  TokenName,
  TokenRequest,
  TokenResponse,
  TokenRole,
  TurnCredentials,
  TurnIceServer,
} from './types.js';
