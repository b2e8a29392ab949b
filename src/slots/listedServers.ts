import type { ServerEntry } from './brokerMember.js';

/**
 * How many pools list each server key, so that a server the last pool dropped is forgotten by the
 * coordinator (its count would otherwise stay for ever: a crawler's pools come and go). A change
 * costs what it changes: the old and the new pool of one member.
 * @internal
 */
export class ListedServers {
  readonly #pools = new Map<string, number>();

  constructor(readonly forget: (serverKey: string) => void) {}

  /** One pool went from `before` to `after`; servers no pool lists any more are forgotten. */
  replace(before: readonly ServerEntry[], after: readonly ServerEntry[]): void {
    const added = keysOf(after);
    for (const key of added) this.#pools.set(key, (this.#pools.get(key) ?? 0) + 1);
    for (const key of keysOf(before)) {
      const left = (this.#pools.get(key) ?? 1) - 1;
      if (left > 0) {
        this.#pools.set(key, left);
      } else {
        this.#pools.delete(key);
        this.forget(key);
      }
    }
  }
}

/** A pool's server keys, once each (two spellings of one server are one key). */
function keysOf(entries: readonly ServerEntry[]): Set<string> {
  const keys = new Set<string>();
  for (const entry of entries) keys.add(entry.key);
  return keys;
}
