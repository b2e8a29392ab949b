// The three scenarios of `npm run bench:fleet` and their variants (what each measures: the report, BENCHMARKS.md).
import { aimdLimit, type LimitAlgorithm, type TaskManagerOptions } from '../../src/index.js';
import { type FleetConfig, type FleetProvider, type FleetResult, runFleet } from './fleet.js';
import type { SimServerSpec } from './sim.js';

const SEED = 20_261_201;
const url = (i: number): string => `http://s${i}.fleet`;
const limitsOf = (servers: readonly SimServerSpec[], limit: (s: SimServerSpec) => number): Record<string, number> =>
  Object.fromEntries(servers.map((s) => [s.url, limit(s)]));
const adaptive = (servers: readonly SimServerSpec[], algorithm: 'gradient' | 'aimd' | LimitAlgorithm): Partial<TaskManagerOptions> => ({
  adaptiveLimits: Object.fromEntries(servers.map((s) => [s.url, { min: 1, max: 64, initial: 4, algorithm }])),
});

export interface Variant {
  readonly name: string;
  readonly result: FleetResult;
}

// ---------------------------------------------------------------- 1. unknown capacities

/** 8 servers of capacities 2–16 (100 ms each), 3 providers (one over all, two over halves), a backlog of 200 tasks. */
export const capacitiesFleet: readonly SimServerSpec[] = [2, 4, 6, 8, 10, 12, 14, 16].map((capacity, i) => ({ url: url(i), capacity, baseMs: 100 }));
const capacitiesProviders: readonly FleetProvider[] = [
  { name: 'all', servers: [0, 1, 2, 3, 4, 5, 6, 7], load: { kind: 'closed', outstanding: 100 } },
  { name: 'low', servers: [0, 1, 2, 3], load: { kind: 'closed', outstanding: 50 } },
  { name: 'high', servers: [4, 5, 6, 7], load: { kind: 'closed', outstanding: 50 } },
];

export function unknownCapacities(): Variant[] {
  const run = (options: Partial<TaskManagerOptions>): FleetResult =>
    runFleet({ servers: capacitiesFleet, providers: capacitiesProviders, options, durationMs: 60_000, measureFrom: 10_000, measureTo: 60_000, seed: SEED });
  return [
    { name: 'fixed 1', result: run({ defaultServerLimit: 1 }) },
    { name: 'fixed 64', result: run({ defaultServerLimit: 64 }) },
    { name: 'oracle', result: run({ serverLimits: limitsOf(capacitiesFleet, (s) => s.capacity) }) },
    { name: 'adaptive gradient', result: run(adaptive(capacitiesFleet, 'gradient')) },
    { name: 'adaptive aimd', result: run(adaptive(capacitiesFleet, 'aimd')) },
    // Not a default: the lever of the latency target (a lower tolerance trades goodput for latency).
    { name: 'adaptive aimd, tolerance 1.2', result: run(adaptive(capacitiesFleet, aimdLimit({ tolerance: 1.2 }))) },
  ];
}

// ---------------------------------------------------------------- 2. a server goes bad

export const BAD_FROM = 10_000;
export const BAD_TO = 40_000;
/** 4 servers of capacity 8 (100 ms); s0 fails every attempt from 10 s to 40 s; Poisson arrivals at 224/s (70 % of the fleet). */
const badFleet: readonly SimServerSpec[] = [0, 1, 2, 3].map((i) => ({ url: url(i), capacity: 8, baseMs: 100, ...(i === 0 ? { badFrom: BAD_FROM, badTo: BAD_TO } : {}) }));
const badConfig = (servers: readonly SimServerSpec[], options: Partial<TaskManagerOptions>): FleetConfig => ({
  servers,
  providers: [{ name: 'p', servers: servers.map((_, i) => i), load: { kind: 'open', perSecond: 224 } }],
  options: { serverLimits: limitsOf(servers, (s) => s.capacity), ...options },
  durationMs: 60_000,
  measureFrom: BAD_FROM,
  measureTo: BAD_TO,
  seed: SEED,
});

export function serverGoesBad(): Variant[] {
  return [
    { name: 'health on', result: runFleet(badConfig(badFleet, { health: true })) },
    { name: 'health off', result: runFleet(badConfig(badFleet, {})) },
    { name: 'without s0', result: runFleet(badConfig(badFleet.slice(1).map((s, i) => ({ ...s, url: url(i + 1) })), {})) },
  ];
}

// ---------------------------------------------------------------- 3. a slow server

/** 4 servers of capacity 8 with their limit at 8; s3 takes 300 ms, the others 100 ms. Poisson arrivals at `share` of the fleet's capacity. */
const slowFleet: readonly SimServerSpec[] = [0, 1, 2, 3].map((i) => ({ url: url(i), capacity: 8, baseMs: i === 3 ? 300 : 100 }));
const SLOW_FLEET_PER_SECOND = 3 * 80 + 80 / 3;

export function slowServer(share: number): Variant[] {
  const run = (serverChoice: 'slots' | 'peak-ewma' | 'lowest-latency'): FleetResult =>
    runFleet({
      servers: slowFleet,
      providers: [{ name: 'p', servers: [0, 1, 2, 3], load: { kind: 'open', perSecond: share * SLOW_FLEET_PER_SECOND } }],
      options: { serverLimits: limitsOf(slowFleet, (s) => s.capacity), serverChoice },
      durationMs: 60_000,
      measureFrom: 10_000,
      measureTo: 60_000,
      seed: SEED,
    });
  return [
    { name: 'by slots', result: run('slots') },
    { name: 'peak-EWMA', result: run('peak-ewma') },
    { name: 'lowest latency', result: run('lowest-latency') },
  ];
}
