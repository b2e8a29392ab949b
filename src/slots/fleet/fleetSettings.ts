import { InvalidOptionError } from '../../errors/invalidOption.js';
import type { AdaptiveBounds } from '../adaptive/adaptiveLimit.js';
import { resolveAdaptive, type AdaptiveLimitOptions } from '../adaptive/adaptiveOptions.js';
import type { LimitAlgorithm } from '../adaptive/limitAlgorithm.js';
import { resolveHealth, type HealthOptions, type ResolvedHealthOptions } from '../health/serverHealth.js';
import { normalizeServerKey } from '../serverKey.js';

/** The manager's options for adaptive limits, health and the choice of server. */
export interface FleetOptions {
  /** Server or URL prefix → an adaptive limit. Each key is a budget whose hard cap is its `max`. */
  readonly adaptiveLimits?: Readonly<Record<string, AdaptiveLimitOptions>>;
  /** Eject servers whose attempts keep failing; `true` for the defaults. */
  readonly health?: HealthOptions | true;
  /**
   * How a new task picks among servers with room: `'slots'`, the lowest in-use / limit;
   * `'peak-ewma'`, the lowest peak-EWMA latency × (running + 1); `'lowest-latency'`, the lowest
   * peak-EWMA latency (running attempts cost nothing while there is room). @default 'slots'
   */
  readonly serverChoice?: 'slots' | 'peak-ewma' | 'lowest-latency';
}

/** Validated fleet options; undefined when none is on (the manager then adds nothing per task). @internal */
export interface FleetSettings {
  readonly adaptive: ReadonlyMap<string, { readonly bounds: AdaptiveBounds; readonly algorithm: LimitAlgorithm }>;
  readonly health: ResolvedHealthOptions | undefined;
  /** Peak-EWMA decay, when a latency rule is on. */
  readonly decayMs: number | undefined;
  /** Whether running attempts add to a server's cost (`'peak-ewma'`) or not (`'lowest-latency'`). */
  readonly chargeRunning: boolean;
}

/** Peak-EWMA forgets a latency in about 10 s without new samples (Finagle's default decay). */
const DECAY_MS = 10_000;

export function resolveFleet(options: FleetOptions): FleetSettings | undefined {
  const adaptive = new Map<string, { bounds: AdaptiveBounds; algorithm: LimitAlgorithm }>();
  const given = options.adaptiveLimits;
  if (given !== undefined) {
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new InvalidOptionError('adaptiveLimits', 'an object of server key -> { min?, max, initial?, algorithm? }', given);
    }
    for (const [key, value] of Object.entries(given)) adaptive.set(normalizeServerKey(key), resolveAdaptive(`adaptiveLimits[${JSON.stringify(key)}]`, value));
  }
  const health = options.health === undefined ? undefined : resolveHealth(checkHealth(options.health));
  const choice = options.serverChoice ?? 'slots';
  if (choice !== 'slots' && choice !== 'peak-ewma' && choice !== 'lowest-latency') {
    throw new InvalidOptionError('serverChoice', "'slots', 'peak-ewma' or 'lowest-latency'", choice);
  }
  const decayMs = choice === 'slots' ? undefined : DECAY_MS;
  if (adaptive.size === 0 && health === undefined && decayMs === undefined) return undefined;
  return { adaptive, health, decayMs, chargeRunning: choice === 'peak-ewma' };
}

function checkHealth(health: HealthOptions | true): HealthOptions {
  if (health === true) return {};
  if (health === null || typeof health !== 'object') throw new InvalidOptionError('health', 'true or an object { failures?, ejectMs?, maxEjectMs?, maxEjectedShare? }', health);
  const positiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (health.failures !== undefined && !positiveInteger(health.failures)) throw new InvalidOptionError('health.failures', 'an integer from 1 and up', health.failures);
  if (health.ejectMs !== undefined && !positive(health.ejectMs)) throw new InvalidOptionError('health.ejectMs', 'a finite number above 0', health.ejectMs);
  if (health.maxEjectMs !== undefined && !positive(health.maxEjectMs)) throw new InvalidOptionError('health.maxEjectMs', 'a finite number above 0', health.maxEjectMs);
  const share = health.maxEjectedShare;
  if (share !== undefined && !(typeof share === 'number' && share >= 0 && share < 1)) {
    throw new InvalidOptionError('health.maxEjectedShare', 'a number from 0 to below 1', share);
  }
  return health;
}
