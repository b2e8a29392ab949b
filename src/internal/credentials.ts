/**
 * A server string as the library may show it: the `user:password@` of a URL removed, everything
 * else as written. Works on the text, so a URL that `new URL` refuses loses its credentials too.
 * Events, errors, logs, stats and Redis keys only ever carry servers passed through this (or
 * through `normalizeServerKey`, which uses it); only the handler's `ctx.server` keeps them.
 *
 * @example
 * withoutCredentials('https://bot:s3cret@h.example.com/api') // 'https://h.example.com/api'
 */
export function withoutCredentials(server: string): string {
  // Fast path: no '@' anywhere, nothing to remove (the usual pool entry).
  if (server.indexOf('@') < 0) return server;
  const scheme = server.indexOf('://');
  if (scheme < 0) return server;
  const hostStart = scheme + 3;
  const at = server.lastIndexOf('@', authorityEnd(server, hostStart) - 1);
  return at < hostStart ? server : server.slice(0, hostStart) + server.slice(at + 1);
}

/** Where the authority (`user:password@host:port`) ends: at the first '/', '?' or '#', or the end. */
function authorityEnd(url: string, from: number): number {
  for (let i = from; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) return i;
  }
  return url.length;
}
