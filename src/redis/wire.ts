/**
 * What travels through Redis as text: limits (stored and published) and pub/sub messages.
 * Infinity is stored as 'inf' because Redis numbers cannot hold it.
 */

export function encodeLimit(limit: number): string {
  return limit === Infinity ? 'inf' : String(limit);
}

/** The limit a stored text means, or undefined when it is not a valid limit. */
export function decodeLimit(text: unknown): number | undefined {
  if (text === 'inf') return Infinity;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

export type CoordinatorMessage =
  /** A slot freed on `b`; `to` are the waiters first in line (published by the Lua scripts). */
  | { readonly t: 'room'; readonly b: string; readonly to: readonly string[] }
  /** Instance `by` set (v = limit text) or removed (v = null) the limit of key `k`. */
  | { readonly t: 'limit'; readonly k: string; readonly v: string | null; readonly by: string }
  /** Instance `by` set (v = rate text, see rateScript.ts) or removed (v = null) the start rate of key `k`. */
  | { readonly t: 'rate'; readonly k: string; readonly v: string | null; readonly by: string };

export function settingMessage(type: 'limit' | 'rate', key: string, value: string | null, by: string): string {
  return JSON.stringify({ t: type, k: key, v: value, by });
}

/** Parses a message; anything malformed is undefined (another version or another program). */
export function parseMessage(text: string): CoordinatorMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  if (m['t'] === 'room' && typeof m['b'] === 'string') {
    // cjson encodes an empty Lua table as an object, never as [].
    const to = Array.isArray(m['to']) ? m['to'].filter((x): x is string => typeof x === 'string') : [];
    return { t: 'room', b: m['b'], to };
  }
  const t = m['t'];
  if ((t === 'limit' || t === 'rate') && typeof m['k'] === 'string' && typeof m['by'] === 'string' && (m['v'] === null || typeof m['v'] === 'string')) {
    return { t, k: m['k'], v: m['v'], by: m['by'] };
  }
  return undefined;
}
