import { describe, expect, it } from 'vitest';
import { generateModel, runSeed, runSeeds, violationKinds } from './reentrant.js';

// The re-entrancy model checker (reentrant.ts): random small models in which every kind of user
// callback (handlers, events$/stats$ subscribers, outcome observers, isRetryable, the timeout
// function, the logger, random) calls the manager back and sometimes throws; each seed is played
// in virtual time and every broken promise is listed.
//
//   npx vitest run test/reliability/reentrant.spec.ts                    20,000 seeds (SMT_SEEDS)
//   SMT_SEEDS=200000 npx vitest run test/reliability/reentrant.spec.ts   the deeper run
//   SMT_SEED=1234 npx vitest run test/reliability/reentrant.spec.ts      replay one seed: prints its
//                                                                        model, a trace and the violations
//   SMT_FIRST_SEED=500000 SMT_SEEDS=100000 npx vitest run ...             another range of seeds
//   SMT_KEEP_GOING=1 npx vitest run ...                                  run every seed, then print how
//                                                                        many failed and the kinds of violation
//
// Cost: 1-1.5 ms per seed on the 2-core VM (20,000 seeds in 20-30 s, 200,000 in about 5 min with
// the machine busy; the seeds that turn on the fleet and flow-control options cost more; 30 ms per seed
// when the 2 cores carry a load of 20); the timeout is a hang guard, not a speed check: 100 ms per
// seed, so SMT_SEEDS=200000 gets 20,000 s.
//
// It also prints how far the seeds reached into the fleet options (adaptive limit moves,
// ejections, restores, starts checked against the limit in force) and, from 2,000 seeds on,
// fails if any of them was never reached: a check that is never exercised proves nothing.

const SEEDS = Number(process.env['SMT_SEEDS'] ?? 20_000);
const FIRST = Number(process.env['SMT_FIRST_SEED'] ?? 0);
const ONE = process.env['SMT_SEED'];
const KEEP_GOING = process.env['SMT_KEEP_GOING'] !== undefined;

describe('re-entrant and throwing user code (seeded model checker, virtual time)', () => {
  if (ONE !== undefined) {
    it(`should keep every promise for seed ${ONE}`, async () => {
      const seed = Number(ONE);
      const trace: string[] = [];
      const result = await runSeed(seed, trace);
      const model = JSON.stringify(generateModel(seed), (_key, value: unknown) => (value === Infinity ? 'Infinity' : value));
      console.log(`seed ${seed}: ${result.accepted} accepted, ${result.reactions} reactions, ${result.throws} throws\nmodel: ${model}\ntrace:\n${trace.join('\n')}\n\nviolations:\n${result.violations.join('\n') || 'none'}`);
      expect(result.violations).toEqual([]);
    });
    return;
  }

  // Seeds that once failed, kept in every run: 19206 (a setPriority that starts a task inside the
  // call), 170414 (a budget held for a heavy head after its provider's pool moved off it; found
  // by the deeper run, beyond the range npm test covers).
  it.each([19_206, 170_414])('should keep every promise for pinned seed %i', async (seed) => {
    expect((await runSeed(seed)).violations).toEqual([]);
  });

  it(`should keep every promise for ${SEEDS} seeds from ${FIRST}`, async () => {
    const { failures, ran, ms, fleet } = await runSeeds(FIRST, SEEDS, KEEP_GOING ? Infinity : 1);
    console.log(`${ran} seed(s) in ${Math.round(ms)} ms (${(ms / Math.max(1, ran)).toFixed(2)} ms per seed)`);
    console.log(
      `fleet options on in ${fleet.seeds} seed(s): ${fleet['limit-changed']} limit changes, ${fleet['server-ejected']} ejections, ${fleet['server-restored']} restores; ${fleet.checkedStarts} starts checked against an adaptive limit or a health state`,
    );
    const first = failures[0];
    if (first !== undefined) {
      console.log(`first failing seed: ${first.seed} (replay: SMT_SEED=${first.seed} npx vitest run test/reliability/reentrant.spec.ts)\n${first.violations.join('\n')}`);
    }
    if (KEEP_GOING && failures.length > 0) {
      const kinds = violationKinds(failures).map((k) => `${String(k.seeds).padStart(6)} seed(s), first ${k.firstSeed}: ${k.example}`);
      console.log(`${failures.length} of ${ran} seeds failed; kinds of violation:\n${kinds.join('\n')}`);
    }
    expect(first === undefined ? [] : { seed: first.seed, violations: first.violations }).toEqual([]);
    // The limit in force is only checked if the seeds reach it: adaptive limits move, budgets are ejected and come back.
    if (ran >= 2_000) {
      expect(fleet['limit-changed']).toBeGreaterThan(0);
      expect(fleet['server-ejected']).toBeGreaterThan(0);
      expect(fleet['server-restored']).toBeGreaterThan(0);
      expect(fleet.checkedStarts).toBeGreaterThan(0);
    }
  }, Math.max(60_000, SEEDS * 100));
});
