export type { AuditEvent, DeniedEvent, IssuedEvent, Logger } from './audit.js';
export {
  BEARER_JWT_ALGORITHMS,
  type BearerJwtAlgorithm,
  type BearerJwtIdentity,
  type BearerJwtIdentityOptions,
  bearerJwtIdentity,
} from './bearer-jwt.js';
export { bodyErrorProblems, problemForBodyError } from './body-errors.js';
export type { Clock } from './clock.js';
export { isRoomkeyError, RoomkeyError, type RoomkeyErrorCode } from './errors.js';
export { localTime, relativeTime } from './explain.js';
export { CHANNEL_FIELD, ROOM_FIELD, targetField, targetListField, textField } from './fields.js';
export { type ChatRights, defaultGrant, type Grant, type Identity } from './grant.js';
export { type BuiltInPlatformOptions, ISSUER_OPTION_NAMES } from './issuer-options.js';
export { createHs256Signer, type Hs256Signer } from './jws.js';
export type { RateLimiter, RateLimitOptions, RateLimitWindow } from './limits.js';
export { describeNonCanonicalId, isValidName, NAME_PATTERN } from './names.js';
export { rejectUnknownOptions } from './options.js';
export {
  type AuthorizeContext,
  createTokenIssuer,
  type IncomingTokenRequest,
  type TokenGrantResult,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenResponseBody,
  tokenIssuerFor,
} from './pipeline.js';
export type {
  AddressField,
  DecodedToken,
  ExplainContext,
  GrantField,
  IssuedEntry,
  IssuedToken,
  PlatformContext,
  PlatformEnv,
  PlatformIssueInput,
  PlatformRoute,
  RequestField,
  RoomkeyPlatform,
  RouteRequest,
  RouteResult,
  ServiceCap,
  TokenCheck,
  TokenPlatform,
  TokenReport,
} from './platform.js';
export { BUILT_IN_PLATFORMS } from './platforms/index.js';
export {
  createLiveKitSigner,
  LIVEKIT_DEFAULT_TTL_SECONDS,
  LIVEKIT_MAX_METADATA_LENGTH,
  LIVEKIT_MAX_TTL_SECONDS,
  LIVEKIT_SOURCES,
  type LiveKitClaims,
  type LiveKitClientFields,
  type LiveKitGrant,
  type LiveKitOptions,
  type LiveKitSigner,
  type LiveKitSignInput,
  type LiveKitSource,
  type LiveKitTokenPlatform,
  type LiveKitVideoGrant,
  liveKitPlatform,
} from './platforms/livekit.js';
export {
  createOpenTokSigner,
  type OpenTokJwtClaims,
  type OpenTokSigner,
  type OpenTokSignerOptions,
  type OpenTokTokenData,
  type OpenTokTokenInput,
} from './platforms/opentok.js';
export {
  createPubNubAccessManager,
  type FetchLike,
  grantPubNubToken,
  PUBNUB_DEFAULT_ORIGIN,
  PUBNUB_MAX_TTL_MINUTES,
  type PubNubAccessManager,
  type PubNubAccessManagerOptions,
  type PubNubChannelPermissions,
  type PubNubTokenGrant,
  signPubNubRequest,
} from './platforms/pubnub.js';
export {
  type CreateRed5CloudClientOptions,
  createRed5CloudClient,
  decodeRed5MasterSecret,
  encodeRed5MasterSecret,
  grantedChatRights,
  RED5CLOUD_DEFAULT_TTL_MINUTES,
  RED5CLOUD_ROLE_MAP,
  RED5CLOUD_ROLES,
  Red5Client,
  type Red5CloudChatInput,
  type Red5CloudChatRights,
  type Red5CloudClientOptions,
  type Red5CloudConferenceClaims,
  type Red5CloudConferenceInput,
  type Red5CloudCredentials,
  type Red5CloudPubNubOptions,
  type Red5CloudRole,
  red5CloudChatPlatform,
  red5CloudConferencePlatform,
} from './platforms/red5cloud.js';
export {
  createRed5ProSigner,
  RED5PRO_ROLE_MAP,
  RED5PRO_ROLES,
  RED5PRO_TRANSPORTS,
  type Red5ProClaims,
  type Red5ProRole,
  type Red5ProSigner,
  type Red5ProSignerOptions,
  type Red5ProSignInput,
  type Red5ProTransport,
  red5ProPlatform,
  type SignedToken,
} from './platforms/red5pro.js';
export {
  createRed5ProVerifier,
  type Red5ProRequirement,
  type Red5ProVerifier,
  type Red5ProVerifierOptions,
  type VerifiedRed5ProToken,
  type VerifyRed5ProTokenOptions,
  verifyRed5ProToken,
} from './platforms/red5pro-verify.js';
export {
  checkTurnUserId,
  createTurnCredentialSigner,
  TURN_DEFAULT_SEPARATOR,
  TURN_DEFAULT_TTL_MINUTES,
  TURN_MAX_TTL_MINUTES,
  TURN_MAX_USER_ID_BYTES,
  type TurnCredentialSigner,
  type TurnCredentialSignerOptions,
  type TurnCredentials,
  type TurnIceServer,
} from './platforms/turn.js';
export { explainTurnCredential, parseTurnInput } from './platforms/turn-explain.js';
export { TURN_FIELD, TURN_GRANT_FIELD, turnDefinition, turnPlatform } from './platforms/turn-platform.js';
export type { TurnServerUrls } from './platforms/turn-urls.js';
export {
  parseTurnUsername,
  type TurnCredentialPair,
  type TurnCredentialVerdict,
  type VerifyTurnCredentialOptions,
  verifyTurnCredential,
} from './platforms/turn-verify.js';
export {
  createVonageVideoSigner,
  defaultRsaConcurrency,
  type SessionTokenSigner,
  VONAGE_DEFAULT_TTL_SECONDS,
  VONAGE_MAX_DATA_LENGTH,
  VONAGE_MAX_TTL_SECONDS,
  VONAGE_ROLE_MAP,
  VONAGE_ROLES,
  type VonageRole,
  type VonageTokenInput,
  type VonageVideoClaims,
  type VonageVideoSigner,
  type VonageVideoSignerOptions,
  vonagePlatform,
} from './platforms/vonage.js';
export {
  HttpProblem,
  PROBLEM_STATUS,
  type ProblemCode,
  problemResponse,
  type TokenResponse,
} from './problem.js';
export { TOKEN_PROTOCOLS, type TokenProtocol } from './protocols.js';
export { DEFAULT_BODY_TIMEOUT_MS, MAX_BODY_BYTES, MAX_TTL_MINUTES, type TokenRequest } from './request.js';
export { isRole, ROLES, type Role, roleIncludes } from './roles.js';
export { createHmacSecretKey, generateSecret, MIN_SECRET_BYTES } from './secret.js';
