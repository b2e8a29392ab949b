/** Bounds of the safety-net poll a waiting instance runs in case a wake-up is lost. */
export interface PollPolicy {
  /** First delay, in ms. */
  readonly minMs: number;
  /** Longest delay before jitter, in ms; kept well under the waiter TTL so a waiter keeps its place. */
  readonly maxMs: number;
}

/** Wake-ups do the real work, so the poll starts at a quarter of its cap (≤ 500 ms). */
export function pollPolicy(leaseMs: number): PollPolicy {
  const maxMs = Math.min(2_000, Math.floor(leaseMs / 3));
  return { minMs: Math.max(1, Math.floor(maxMs / 4)), maxMs };
}

/**
 * The delay before poll number `round` (0 first): doubling from `minMs` to `maxMs`, times a
 * jitter in [0.75, 1.25) so instances do not poll in step. `hintMs` > 0 is when Redis expects the
 * situation to change (the next lease expiry, the end of a fence): the poll comes just after it
 * if that is sooner, which is how a crashed holder's slots are picked up on time.
 */
export function pollDelay(round: number, hintMs: number, policy: PollPolicy, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(round, 16));
  const jittered = base * (0.75 + random() * 0.5);
  if (hintMs > 0) return Math.min(jittered, hintMs + 5 + random() * 20);
  return jittered;
}
