import { randomUUID } from 'node:crypto';
import { runScript } from './client.js';
import type { RedisContext } from './context.js';
import { instanceKey } from './keys.js';
import { RedisCoordinatorError } from './redisCoordinatorError.js';
import { DROP_CLAIM, RENEW_CLAIM } from './scripts.js';

export type ClaimState = 'held' | 'reclaimed' | 'taken';

/**
 * One live process per instance name: the name's key holds this process's random token with a
 * TTL of one lease, renewed with the leases. Renewal checks the token, so a process that lost its
 * name (a long outage, then another process took it) finds out instead of extending the other's.
 */
export class InstanceClaim {
  readonly #ctx: RedisContext;
  readonly #key: string;
  readonly token = randomUUID();

  constructor(ctx: RedisContext) {
    this.#ctx = ctx;
    this.#key = instanceKey(ctx.prefix, ctx.instanceName);
  }

  /** Takes the name, or throws a RedisCoordinatorError('instance-name') naming the problem. */
  async claim(): Promise<void> {
    const { client, leaseMs, instanceName } = this.#ctx;
    const ok = await client.set(this.#key, this.token, 'PX', leaseMs, 'NX');
    if (ok === 'OK') return;
    const ttl = await client.pttl(this.#key);
    throw new RedisCoordinatorError(
      'instance-name',
      `Instance name ${JSON.stringify(instanceName)} is in use by another live process (Redis key ${JSON.stringify(this.#key)}, ` +
        `expires in ${ttl} ms unless renewed). Give every process its own instanceName; after a crash the name frees within leaseMs.`,
    );
  }

  async renew(): Promise<ClaimState> {
    const result = await runScript(this.#ctx.client, RENEW_CLAIM, [this.#key], [this.token, this.#ctx.leaseMs]);
    return result === 1 ? 'held' : result === 2 ? 'reclaimed' : 'taken';
  }

  async drop(): Promise<void> {
    await runScript(this.#ctx.client, DROP_CLAIM, [this.#key], [this.token]);
  }
}
