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
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    // Not a URL for WHATWG, but it may still carry `user:password@`: it must not reach a key.
    return withoutCredentials(server);
  }
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.href;
}

/**
 * True when the limit key `prefix` covers the server key `key`: the same key, or a URL prefix that
 * ends on a host or path-segment boundary. `https://h/api` covers `https://h/api/v1` but not
 * `https://h/api2`; `http://b` never covers `http://bad.example`.
 */
export function coversKey(prefix: string, key: string): boolean {
  if (prefix === key) return true;
  if (!key.startsWith(prefix)) return false;
  if (prefix.indexOf('://') < 0) return false; // plain names only match exactly
  if (prefix.endsWith('/')) return true;
  const next = key.charAt(prefix.length);
  // A host or a path segment ends at '/'; a host may also be followed by a port (':'). A prefix
  // that already has a path cannot be continued by ':'.
  if (next === '/') return true;
  return next === ':' && !hasPath(prefix);
}

function hasPath(urlKey: string): boolean {
  const afterScheme = urlKey.indexOf('://') + 3;
  return urlKey.indexOf('/', afterScheme) >= 0;
}
