import {
  type AuthorizeContext,
  createTokenIssuer as createCoreIssuer,
  type Grant,
  type Identity,
  type IncomingTokenRequest,
  ISSUER_OPTION_NAMES,
  rejectUnknownOptions,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenProtocol,
  tokenIssuerFor,
} from '@roomkey/core';

// What an app names beside the route (grants, identities, errors, signers), so that it needs no
// second import from @roomkey/core.
export * from '@roomkey/core/app';

type MaybePromise<T> = T | Promise<T>;

/**
 * The options of {@link issueTokens}: the core's options, with `identify` and `authorize`
 * receiving the `Request` and the handler's second argument (Hono's `c`, Bun's `server`,
 * Deno's `info`), and what a `Request` cannot tell by itself: who sent it, whether it came
 * over HTTPS, and the body when the framework has already read it.
 */
export interface IssueTokensOptions<Req extends Request = Request, Ctx = unknown>
  extends Omit<TokenIssuerOptions<Req>, 'identify' | 'authorize'> {
  /** Who is asking: `{ id }`, or `null` (401). */
  identify(request: Req, context: Ctx): MaybePromise<Identity | null | undefined>;
  /** The most the caller may have, or `false` (403). Without it: least privilege. */
  authorize?(authorization: AuthorizeContext<Req>, context: Ctx): MaybePromise<Grant | false>;
  /**
   * The client's address, for `rateLimit.failures` and audit events (a `Request` has no
   * socket): Bun `server.requestIP(request)?.address`, Deno `info.remoteAddr.hostname`,
   * `@hono/node-server` `c.env.incoming.socket.remoteAddress`, or a header your own proxy sets.
   */
  clientAddress?(request: Req, context: Ctx): string | undefined;
  /**
   * Whether the request came over HTTPS, for `requireHttps` (which needs it): never the scheme of
   * `request.url`, which a client can choose by sending an absolute URL.
   */
  isHttps?(request: Req, context: Ctx): boolean;
  /**
   * The body when the framework already read it (`request.bodyUsed`): its parsed JSON or text.
   * Hono: `(request, c) => c.req.json()` (Hono keeps what it read). Not called for a body nobody read.
   */
  parsedBody?(request: Req, context: Ctx): unknown;
}

/** Options, or one issuer from {@link createTokenIssuer} shared by several routes. */
export type IssuerOrOptions<Req extends Request = Request, Ctx = unknown> =
  | IssueTokensOptions<Req, Ctx>
  | TokenIssuer<Req>;

/** `(request, context?) => Promise<Response>`: the context is what the runtime passes beside the request. */
export type FetchTokenHandler<Req extends Request = Request, Ctx = unknown> = (
  request: Req,
  ...context: undefined extends Ctx ? [context?: Ctx] : [context: Ctx]
) => Promise<Response>;

/** A route factory: options or an issuer in, a Fetch API handler out. */
export type FetchTokenRoute = <Req extends Request = Request, Ctx = unknown>(
  options: IssuerOrOptions<Req, Ctx>,
) => FetchTokenHandler<Req, Ctx>;

const FETCH_OPTIONS = ['clientAddress', 'isHttps', 'parsedBody'];

type RequestFacts = Pick<IssueTokensOptions<Request>, 'clientAddress' | 'isHttps' | 'parsedBody'>;

const FACTS = new WeakMap<object, RequestFacts>();
/** The context each request was handled with, for `identify` and `authorize`. */
const CONTEXTS = new WeakMap<Request, unknown>();
const ADDRESS_RECIPES =
  'Bun: (req, server) => server.requestIP(req)?.address; Deno: (req, info) => info.remoteAddr.hostname; ' +
  '@hono/node-server: (req, c) => c.env.incoming.socket.remoteAddress; behind your own proxy: the header it sets';

/**
 * One issuer for several routes (`/tokens` and the Red5 SDK's), with `identify` and `authorize`
 * typed for the Fetch API. Options are checked now; a configuration mistake throws here.
 *
 * @example
 * const issuer = createTokenIssuer({ identify: (req) => sessionUser(req), red5cloud: { masterKey, masterSecret } });
 * app.post('/tokens', (c) => tokens(c.req.raw, c)); // const tokens = issueTokens(issuer)
 */
export function createTokenIssuer<Req extends Request = Request, Ctx = unknown>(
  options: IssueTokensOptions<Req, Ctx>,
): TokenIssuer<Req> {
  return issuerFrom(options, 'createTokenIssuer');
}

/** {@link createTokenIssuer}, with `caller` (the function the app called) named in option errors. */
function issuerFrom<Req extends Request, Ctx>(options: IssueTokensOptions<Req, Ctx>, caller: string): TokenIssuer<Req> {
  // Not an object: the core says what options must be.
  if (typeof options !== 'object' || options === null) return createCoreIssuer(options, caller);
  rejectUnknownOptions(options, [...ISSUER_OPTION_NAMES, ...FETCH_OPTIONS], caller);
  const { clientAddress, isHttps, parsedBody, identify, authorize, ...core } = options;
  for (const [name, value] of Object.entries({ clientAddress, isHttps, parsedBody })) {
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`${name} must be a function (request, context) => …`);
    }
  }
  if (core.requireHttps === true && isHttps === undefined) {
    throw new TypeError(
      "requireHttps needs isHttps: a Request's URL is built from what the client sent, so its scheme proves " +
        'nothing. Say what your runtime knows: @hono/node-server (req, c) => c.env.incoming.socket.encrypted === true; ' +
        'Bun or Deno serving TLS () => true; behind your own proxy, the X-Forwarded-Proto it sets',
    );
  }
  if (core.rateLimit?.failures !== undefined && clientAddress === undefined) {
    throw new TypeError(
      'rateLimit.failures counts failures per client address, which a Fetch API Request does not carry: set ' +
        `clientAddress, or every client would share one budget (${ADDRESS_RECIPES})`,
    );
  }
  const contextOf = (request: Req) => CONTEXTS.get(request) as Ctx;
  const issuer = createCoreIssuer<Req>({
    ...core,
    identify: typeof identify === 'function' ? (request) => identify(request, contextOf(request)) : identify,
    ...(authorize !== undefined && {
      authorize: typeof authorize === 'function' ? (args) => authorize(args, contextOf(args.nativeRequest)) : authorize,
    }),
  });
  FACTS.set(issuer, { clientAddress, isHttps, parsedBody } as RequestFacts);
  return issuer;
}

/**
 * The request as the core reads it. A class, not an object literal with getters (slow to make
 * and to read): `ip` and `secure` are still asked of the app's functions only when needed.
 */
class FetchIncoming<Req extends Request> implements IncomingTokenRequest<Req> {
  readonly method: string;
  readonly headers: Headers;
  readonly stream: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  constructor(
    readonly native: Req,
    private readonly context: unknown,
    private readonly facts: RequestFacts,
    readonly parsedBody: unknown,
  ) {
    this.method = native.method;
    this.headers = native.headers;
    this.bodyUsed = native.bodyUsed;
    this.stream = this.bodyUsed ? null : native.body;
  }
  get ip(): string | undefined {
    const address = this.facts.clientAddress?.(this.native, this.context);
    // Bun's requestIP() gives { address, port }: as a key, every client would share it.
    if (address === undefined || typeof address === 'string') return address;
    throw new TypeError(`clientAddress must return a string (${ADDRESS_RECIPES})`);
  }
  get secure(): boolean | undefined {
    return this.facts.isHttps?.(this.native, this.context);
  }
}

/** `caller`: the exported name of the route factory, for the messages of misspelt options. */
function route(protocol: TokenProtocol, caller: string): FetchTokenRoute {
  return <Req extends Request = Request, Ctx = unknown>(options: IssuerOrOptions<Req, Ctx>) => {
    const known = FACTS.has(options);
    if (!known && typeof (options as { handle?: unknown } | null)?.handle === 'function') {
      throw new TypeError('share an issuer made by createTokenIssuer from @roomkey/fetch: it holds clientAddress');
    }
    const issuer = tokenIssuerFor(
      known ? (options as TokenIssuer<Req>) : issuerFrom(options as IssueTokensOptions<Req, Ctx>, caller),
      protocol,
    );
    const facts = FACTS.get(issuer) as RequestFacts;
    return async function roomkeyIssueTokens(request: Req, context?: Ctx): Promise<Response> {
      CONTEXTS.set(request, context);
      // Asked for inside the pipeline, which answers a framework's JSON error with a 400.
      const read = facts.parsedBody;
      const parsedBody = request.bodyUsed && read !== undefined ? () => read(request, context) : undefined;
      const { status, headers, body } = await issuer.handle(
        new FetchIncoming(request, context, facts, parsedBody),
        protocol,
      );
      return new Response(body, { status, headers });
    } as FetchTokenHandler<Req, Ctx>;
  };
}

/**
 * The roomkey token endpoint (`POST /tokens`, the HTTP contract in the README,
 * https://github.com/roomkey/roomkey#the-http-contract) as a Fetch API handler:
 * `(request, context?) => Promise<Response>`. Options are checked now; a configuration mistake
 * throws here, at start-up.
 *
 * @example
 * // Next.js App Router: app/tokens/route.ts
 * export const POST = issueTokens({
 *   identify: (req) => (req.headers.get('authorization') === `Bearer ${process.env.API_KEY}` ? { id: 'service' } : null),
 *   authorize: () => ({ role: 'subscriber', rooms: 'any', transports: 'any' }),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * });
 */
export const issueTokens = route('roomkey', 'issueTokens');

/**
 * The Red5 WebRTC SDK's chat-token "backend URL": `POST {userId, channelId, read, write,
 * ttlMinutes}` → `{token}`. Needs `red5cloud` credentials.
 *
 * @example
 * const issuer = createTokenIssuer({ identify, authorize, red5cloud: { masterKey, masterSecret } });
 * app.post('/chat-token', (c) => chat(c.req.raw, c)); // const chat = issueRed5ChatToken(issuer)
 */
export const issueRed5ChatToken = route('red5-chat', 'issueRed5ChatToken');

/**
 * The Red5 WebRTC SDK's cloud endpoint: `POST /config-meetings/api/generate-token {userId,
 * channelId, expirationMinutes}` → `{success: true, token}`. Needs `red5cloud` credentials.
 *
 * @example
 * app.post('/config-meetings/api/generate-token', (c) => conference(c.req.raw, c)); // issueRed5ConferenceToken(issuer)
 */
export const issueRed5ConferenceToken = route('red5-conference', 'issueRed5ConferenceToken');

/**
 * LiveKit's standard token endpoint, which every LiveKit client SDK calls
 * (`TokenSource.endpoint(url)`): `POST { room_name, participant_identity, participant_name,
 * participant_metadata, participant_attributes, room_config }` → `201 { server_url,
 * participant_token }`. Needs `livekit: { apiKey, apiSecret, url }`.
 *
 * @example
 * app.post('/livekit-token', (c) => livekit(c.req.raw, c)); // const livekit = issueLiveKitToken(issuer)
 */
export const issueLiveKitToken = route('livekit', 'issueLiveKitToken');
