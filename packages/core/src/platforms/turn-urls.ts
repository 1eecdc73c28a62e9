/**
 * The TURN and STUN server addresses of a TURN credential signer, as RFC 7064 (`stun:`) and
 * RFC 7065 (`turn:`, `turns:`) write them: `scheme:host[:port]`, and for TURN an optional
 * `?transport=udp` or `?transport=tcp`. Checked once, at start-up, in the form browsers parse:
 * Chromium compares the scheme case-sensitively and knows no `//`, so what passes here is what
 * `new RTCPeerConnection({ iceServers })` accepts.
 */
export interface TurnServerUrls {
  /** `turn:` and `turns:` URIs, in the order configured: they get the credentials. */
  readonly turn: readonly string[];
  /** `stun:` URIs, in the order configured: a STUN binding needs no credentials. */
  readonly stun: readonly string[];
}

const SCHEMES = ['turn', 'turns', 'stun'] as const;
type Scheme = (typeof SCHEMES)[number];

/** At most this many URIs: more is a configuration mistake, and each one costs the browser a gathering. */
const MAX_URLS = 16;
const MAX_URL_LENGTH = 256;

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A DNS name: labels of letters, digits and inner hyphens, joined by dots. */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * An IPv6 address (RFC 4291 §2.2): eight groups of 1-4 hex digits, or fewer around one `::`,
 * the last two optionally written as an IPv4 address. Checked here, not by the pattern alone,
 * so that a typo such as `[192.0.2.1]` or `[::::]` fails at start-up.
 */
function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  const last = groups.at(-1) ?? '';
  const ipv4Tail = last.includes('.');
  if (ipv4Tail && !IPV4.test(last)) return false;
  const hex = ipv4Tail ? groups.slice(0, -1) : groups;
  if (!hex.every((group) => HEX_GROUP.test(group))) return false;
  const count = hex.length + (ipv4Tail ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

/** Whether a host is an IP address or a DNS name, as a URL parser reads it. */
function isHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && isIpv6(host.slice(1, -1));
  // A host whose last label is a number is an IPv4 address to a URL parser (WHATWG URL), never a name.
  if (/(?:^|\.)\d+$/.test(host)) return IPV4.test(host);
  return DNS_NAME.test(host);
}

/**
 * Checks the `urls` option and sorts it into TURN and STUN URIs. Throws a `TypeError` naming
 * the entry (by position) and what to fix. At least one `turn:` or `turns:` URI is required:
 * STUN alone needs no credentials.
 */
export function checkTurnUrls(urls: unknown, option = 'urls'): TurnServerUrls {
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new TypeError(
      `${option} must be a non-empty array of TURN server URIs, such as ['turn:turn.example.com:3478?transport=udp', ` +
        `'turns:turn.example.com:5349?transport=tcp']`,
    );
  }
  if (urls.length > MAX_URLS)
    throw new TypeError(`${option} lists ${urls.length} URIs; at most ${MAX_URLS} are allowed`);
  const turn: string[] = [];
  const stun: string[] = [];
  urls.forEach((url: unknown, index) => {
    const problem = describeBadUrl(url);
    if (problem !== undefined) throw new TypeError(`${option}[${index}] ${problem}`);
    const list = (url as string).startsWith('stun:') ? stun : turn;
    if (list.includes(url as string)) throw new TypeError(`${option}[${index}] repeats an earlier URI: list each once`);
    list.push(url as string);
  });
  if (turn.length === 0) {
    throw new TypeError(
      `${option} has no turn: or turns: URI: STUN alone needs no credentials. ` +
        'Add the TURN server, such as turn:turn.example.com:3478?transport=udp',
    );
  }
  return { turn, stun };
}

/** What is wrong with one URI, in words that say how to write it; `undefined` when it is right. */
function describeBadUrl(url: unknown): string | undefined {
  if (typeof url !== 'string') return 'must be a string such as turn:turn.example.com:3478';
  if (url.length === 0 || url.length > MAX_URL_LENGTH) {
    return `must be a URI of 1 to ${MAX_URL_LENGTH} characters such as turn:turn.example.com:3478`;
  }
  if (/[^\x21-\x7e]/.test(url)) return 'contains a space, a control character or a non-ASCII character';
  const colon = url.indexOf(':');
  const scheme = url.slice(0, colon);
  if (colon < 0 || !(SCHEMES as readonly string[]).includes(scheme.toLowerCase())) {
    return scheme.toLowerCase() === 'stuns'
      ? 'is a stuns: URI, which browsers do not support: use stun: or turns:'
      : 'must start with turn:, turns: or stun: (RFC 7064, RFC 7065)';
  }
  if (scheme !== scheme.toLowerCase())
    return `must spell the scheme in lower case (${scheme.toLowerCase()}:), as browsers do`;
  let rest = url.slice(colon + 1);
  if (rest.startsWith('//')) return `must not have // after ${scheme}: (write ${scheme}:host:port, RFC 7064/7065)`;
  if (rest.includes('@'))
    return 'must not contain user information (@): the credentials are issued per user, never part of the URI';
  let query: string | undefined;
  const question = rest.indexOf('?');
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const hostProblem = describeBadHostPort(rest, scheme as Scheme);
  if (hostProblem !== undefined) return hostProblem;
  return query === undefined ? undefined : describeBadQuery(query, scheme as Scheme);
}

function describeBadHostPort(hostPort: string, scheme: Scheme): string | undefined {
  let host = hostPort;
  let port: string | undefined;
  const portAt = hostPort.startsWith('[') ? hostPort.indexOf(']:') + 1 : hostPort.lastIndexOf(':');
  if (portAt > 0) {
    host = hostPort.slice(0, portAt);
    port = hostPort.slice(portAt + 1);
  }
  if (host === '') return `has no host: write ${scheme}:host or ${scheme}:host:port`;
  if (!isHost(host)) {
    return host.includes('/')
      ? 'must not have a path: write scheme:host:port'
      : 'has a host that is neither a DNS name, an IPv4 address nor an IPv6 address in brackets';
  }
  if (port !== undefined && (!/^[1-9]\d{0,4}$/.test(port) || Number(port) > 65_535)) {
    return 'has a port that is not a number from 1 to 65535';
  }
  return undefined;
}

function describeBadQuery(query: string, scheme: Scheme): string | undefined {
  if (scheme === 'stun') return 'must not have a query: stun: URIs take none (RFC 7064)';
  const transport = /^transport=(udp|tcp)$/.exec(query)?.[1];
  if (transport === undefined) return 'may only end in ?transport=udp or ?transport=tcp (RFC 7065)';
  if (scheme === 'turns' && transport === 'udp') {
    return 'asks for TURN over DTLS (turns: with transport=udp), which browsers do not support: use ?transport=tcp';
  }
  return undefined;
}
