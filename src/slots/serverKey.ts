import { withoutCredentials } from '../internal/credentials.js';

/**
 * The one normaliser used for pools, limits, stats and the Redis coordinator: a server's key is
 * its URL with query and fragment removed; a string that is not a URL is its own key. Credentials
 * (`user:password@`) are removed too: keys show up in stats, logs and Redis, and the same server
 * reached with two accounts is still one server.
 *
 * @example
 * normalizeServerKey('https://h.example.com/api?s=1#x') // 'https://h.example.com/api'
 * normalizeServerKey('https://bot:s3cret@h.example.com/')  // 'https://h.example.com/'
 * normalizeServerKey('gpu-1')                            // 'gpu-1'
 */
export function normalizeServerKey(server: string): string {
  // Fast path: no scheme separator means it is not a URL, and nothing to strip.
  if (server.indexOf('://') < 0) return server;
  const url = parsed(server);
  // Not a URL for WHATWG, but it may still carry `user:password@`: it must not reach a key.
  return url === undefined ? withoutCredentials(server) : url.href;
}

/**
 * A limit key: normalised like a server key, except that a port written out stays, even the
 * default one (`https://h:443` limits port 443 alone, where `https://h` covers every port of h).
 */
export function normalizeLimitKey(keyOrPrefix: string): string {
  if (keyOrPrefix.indexOf('://') < 0) return keyOrPrefix;
  const url = parsed(keyOrPrefix);
  if (url === undefined) return withoutCredentials(keyOrPrefix);
  const port = writtenPort(keyOrPrefix);
  if (port === '' || url.port !== '') return url.href;
  return `${url.protocol}//${url.host}:${Number(port)}${url.pathname}`;
}

function parsed(server: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url;
}

/**
 * True when the limit key `prefix` covers the server key `key` (each as written: both are
 * normalised first). A plain name covers only itself. A URL covers a URL of the same scheme and
 * host, on the port it names (every port when it names none), under its path on segment
 * boundaries: `https://h` covers `https://h:8443/v1`; `https://h/api` covers `https://h/api/v1` and
 * `https://h:8443/api` but not `https://h/api2`; `https://h:8443` covers neither `https://h/` nor
 * `https://h:9443/`; `http://b` never covers `http://bad.example`.
 */
export function coversKey(prefix: string, key: string): boolean {
  return coversNormalKey(normalizeLimitKey(prefix), normalizeServerKey(key));
}

/** `coversKey` for keys already normalised (the limit table's hot path: no URL parsing). */
export function coversNormalKey(limitKey: string, serverKey: string): boolean {
  if (limitKey === serverKey) return true;
  const limit = splitKey(limitKey);
  const server = limit === undefined ? undefined : splitKey(serverKey);
  if (limit === undefined || server === undefined) return false; // plain names only match exactly
  if (limit.scheme !== server.scheme || limit.host !== server.host) return false;
  if (limit.port !== '' && limit.port !== (server.port === '' ? defaultPort(server.scheme) : server.port)) return false;
  return pathCovers(limit.path, server.path);
}

interface KeyParts {
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
  readonly path: string;
}

function splitKey(key: string): KeyParts | undefined {
  const schemeEnd = key.indexOf('://');
  if (schemeEnd < 0) return undefined;
  const authorityStart = schemeEnd + 3;
  const pathStart = key.indexOf('/', authorityStart);
  const authority = pathStart < 0 ? key.slice(authorityStart) : key.slice(authorityStart, pathStart);
  const colon = authority.lastIndexOf(':');
  const hasPort = colon >= 0 && colon > authority.lastIndexOf(']');
  return {
    scheme: key.slice(0, schemeEnd),
    host: hasPort ? authority.slice(0, colon) : authority,
    port: hasPort ? authority.slice(colon + 1) : '',
    path: pathStart < 0 ? '' : key.slice(pathStart),
  };
}

function pathCovers(prefix: string, path: string): boolean {
  if (prefix === '' || prefix === '/' || prefix === path) return true;
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.charAt(prefix.length) === '/';
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };

/** The port a key without one uses: WHATWG drops only these defaults, so other schemes have none. */
function defaultPort(scheme: string): string {
  return DEFAULT_PORTS[scheme] ?? '';
}

/**
 * The port written in a URL's authority (after any `user:password@`), or '' when none is: the
 * WHATWG parser forgets a default port, a limit key must not.
 */
function writtenPort(text: string): string {
  const start = text.indexOf('://') + 3;
  let end = start;
  while (end < text.length && !'/?#'.includes(text.charAt(end))) end++;
  const authority = text.slice(text.lastIndexOf('@', end - 1) + 1 || start, end);
  const match = /:(\d+)$/.exec(authority);
  return match !== null && authority.lastIndexOf(':') > authority.lastIndexOf(']') ? (match[1] as string) : '';
}
