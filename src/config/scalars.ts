/**
 * Leaf codecs of the config, each named in the operator's words ("a number", "one of
 * above, below") because the name is what an error says was expected. Refined values
 * (IP/CIDR, host:port, rate) are checked while decoding, so a bad one is a config error
 * at start, not a failure at the moment the action runs.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseCidr } from '../firewall/address.js';
import { SECRET_PLACEHOLDER } from './secrets.js';

const leaf = <A>(name: string, is: (u: unknown) => u is A, check?: (a: A) => string | undefined): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(
    name,
    is,
    (u, c) => {
      if (!is(u)) return t.failure(u, c);
      const why = check?.(u);
      return why ? t.failure(u, c, why) : t.success(u);
    },
    (a) => a,
  );

/** Any finite number (YAML `80` or `80.0`); a quoted "80" is refused as a string. */
export const num = leaf('a number', (u): u is number => typeof u === 'number' && Number.isFinite(u));

/** A number ≥ 0. */
export const nonNegative = leaf('a number ≥ 0', (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
  n < 0 ? `expected a number ≥ 0, got ${n}` : undefined,
);

/** A whole number ≥ 0. */
export const count = leaf('a whole number ≥ 0', (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
  !Number.isInteger(n) || n < 0 ? `expected a whole number ≥ 0, got ${n}` : undefined,
);

/** A whole number ≥ 1. */
export const positiveCount = leaf('a whole number ≥ 1', (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
  !Number.isInteger(n) || n < 1 ? `expected a whole number ≥ 1, got ${n}` : undefined,
);

/** A whole number within [min, max], both included. */
export const wholeNumberBetween = (min: number, max: number) =>
  leaf(`a whole number from ${min} to ${max}`, (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
    !Number.isInteger(n) || n < min || n > max ? `expected a whole number from ${min} to ${max}, got ${n}` : undefined,
  );

/** A percentage 0..100. */
export const percent = leaf('a percentage (0-100)', (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
  n < 0 || n > 100 ? `expected a percentage (0-100), got ${n}` : undefined,
);

/** A TCP port 1..65535. */
export const port = leaf('a port number (1-65535)', (u): u is number => typeof u === 'number' && Number.isFinite(u), (n) =>
  !Number.isInteger(n) || n < 1 || n > 65535 ? `expected a port number (1-65535), got ${n}` : undefined,
);

/** Any string (possibly empty). */
export const str = leaf('a string', (u): u is string => typeof u === 'string');

/** A non-empty string. */
export const text = leaf('a non-empty string', (u): u is string => typeof u === 'string', (s) =>
  s.trim() === '' ? 'expected a non-empty string, got ""' : undefined,
);

/** true or false (YAML booleans only: "yes" in quotes is a string). */
export const bool = leaf('true or false', (u): u is boolean => typeof u === 'boolean');

/** One of a fixed set of words. */
export const oneOf = <const V extends string>(values: readonly V[], name = `one of ${values.join(', ')}`): t.Type<V, V, unknown> =>
  leaf(name, (u): u is V => typeof u === 'string' && (values as readonly string[]).includes(u));

/**
 * A string that operators often write unquoted as a number (Telegram chat ids, phone
 * numbers): numbers are taken and turned into their decimal string.
 */
export const stringish = new t.Type<string, string, unknown>(
  'a string',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' ? t.success(u) : typeof u === 'number' && Number.isFinite(u) ? t.success(String(u)) : t.failure(u, c)),
  (a) => a,
);

/** One string or a list of strings, decoded to a list (`to_email: a@x` or `[a@x, b@x]`). */
export const stringOrList = new t.Type<string[], string[], unknown>(
  'a string or a list of strings',
  (u): u is string[] => Array.isArray(u) && u.every((x) => typeof x === 'string'),
  (u, c) => {
    if (typeof u === 'string') return t.success([u]);
    if (Array.isArray(u) && u.every((x) => typeof x === 'string')) return t.success(u as string[]);
    return t.failure(u, c);
  },
  (a) => a,
);

/**
 * An IP address or CIDR block (`203.0.113.10`, `198.51.100.0/24`, `2001:db8::/32`), read
 * by the firewall's own parser: what check-config accepts, the firewall takes.
 */
export const ipOrCidr = leaf('an IP address or CIDR block', (u): u is string => typeof u === 'string', (s) =>
  parseCidr(s) ? undefined : `expected an IP address or CIDR block, got ${JSON.stringify(s)}`,
);

const hasScheme = (s: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s);

/**
 * Why `s` is not an http(s) URL the way the HTTP client will read it (`new URL`), so a
 * value that would fail every send (ERR_INVALID_URL) fails the check instead. Under
 * check-config a secret reference reads SECRET_PLACEHOLDER: the rest of the URL is
 * checked around it, and a URL that is one whole reference is checked when resolved.
 */
const urlProblem = (s: string): string | undefined => {
  // A reference at the start may hold the scheme and host (`${env:HOOK_BASE}/alerts`).
  const probe = s.startsWith(SECRET_PLACEHOLDER) ? `https://x${s.slice(SECRET_PLACEHOLDER.length)}` : s;
  if (!hasScheme(probe)) return 'no http:// or https://';
  let url: URL;
  try {
    url = new URL(probe.split(SECRET_PLACEHOLDER).join('x'));
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol.slice(0, -1)} is not http or https`;
  return url.hostname === '' ? 'no host' : undefined;
};

/** An http(s) URL with its scheme (a webhook, an Alertmanager): `https://hooks.example.com/x`. */
export const httpUrl = leaf('an http(s) URL', (u): u is string => typeof u === 'string', (s) => {
  const why = urlProblem(s);
  return why ? `expected an http(s) URL like "https://hooks.example.com/path", got ${JSON.stringify(s)} (${why})` : undefined;
});

/**
 * The base URL of a service (an ntfy server, an API): a bare host (`ntfy.sh`, as the
 * architecture document writes it) means https://host and is decoded to that.
 */
export const serverUrl = new t.Type<string, string, unknown>(
  'a server URL or host',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const s = u.trim();
    const full = hasScheme(s) || s.startsWith(SECRET_PLACEHOLDER) ? s : `https://${s}`;
    const why = urlProblem(full);
    return why
      ? t.failure(u, c, `expected a server like "ntfy.sh" or "https://ntfy.example.com", got ${JSON.stringify(u)} (${why})`)
      : t.success(full);
  },
  (a) => a,
);

/** `host:port` to listen on (`127.0.0.1:8765`, `[::1]:8765`). */
export const bindAddress = leaf('an address like "127.0.0.1:8765"', (u): u is string => typeof u === 'string', (s) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  const portN = m ? Number(m[3]) : NaN;
  if (!m || !(portN >= 0 && portN <= 65535)) return `expected an address like "127.0.0.1:8765", got ${JSON.stringify(s)}`;
  return undefined;
});

/** A rate like `10/s`, `600/m`, `1000/h`. */
export const rate = leaf('a rate like "10/s"', (u): u is string => typeof u === 'string', (s) =>
  /^\d+(\.\d+)?\/(s|m|h)$/.test(s.trim()) ? undefined : `expected a rate like "10/s" (per s, m or h), got ${JSON.stringify(s)}`,
);

/** A map of string to string (HTTP headers, labels). Numbers are taken as strings. */
export const stringMap = new t.Type<Record<string, string>, Record<string, string>, unknown>(
  'a mapping of names to strings',
  (u): u is Record<string, string> => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c);
    const errors: t.Errors = [];
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(u)) {
      const r = stringish.validate(v, t.appendContext(c, k, stringish, v));
      if (isLeft(r)) for (const e of r.left) errors.push(e);
      else out[k] = r.right;
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  },
  (a) => a,
);
