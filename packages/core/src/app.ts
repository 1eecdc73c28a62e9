/**
 * What an app names beside its token route (grants, identities, errors, signers): every adapter
 * re-exports this module, so that an app needs no second import from `@roomkey/core`.
 */
export {
  type AuditEvent,
  type AuthorizeContext,
  type BearerJwtIdentityOptions,
  bearerJwtIdentity,
  type ChatRights,
  createRed5ProSigner,
  createVonageVideoSigner,
  type Grant,
  HttpProblem,
  type Identity,
  isRoomkeyError,
  type Logger,
  type ProblemCode,
  problemResponse,
  type RateLimitOptions,
  Red5Client,
  type Role,
  RoomkeyError,
  type RoomkeyErrorCode,
  type TokenIssuer,
  type TokenPlatform,
  type TokenProtocol,
  type TokenRequest,
  type TokenResponse,
} from './index.js';
