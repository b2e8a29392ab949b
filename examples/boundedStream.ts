// A fast source into prioritySlots with a bound: at most `maxQueued` readings wait for a server;
// under 'drop-oldest' a newcomer evicts the oldest waiting reading of the lowest priority (or is
// refused if it ranks below every waiting one), and onOverflow says which. Alarms travel as
// commands and are never dropped. `npx tsx examples/boundedStream.ts` runs it;
// test/examples/boundedStream.spec.ts checks it.
import { from, lastValueFrom, map, timer, toArray } from 'rxjs';
import { localSlotCoordinator } from '../src/index.js';
import { LevelQueue, prioritySlots, type Overflowed, type Ranked } from '../src/operators/index.js';

/** A sensor reading with its rank: lane 0 for alarms, then priority, then arrival. */
interface Reading extends Ranked {
  readonly id: string;
}

export interface BoundedReport {
  /** The readings that ran, in the order they finished. */
  readonly ran: readonly string[];
  /** What onOverflow heard: `Dropped r3` (evicted while waiting) or `QueueFull r9` (refused). */
  readonly overflowed: readonly string[];
}

/**
 * 11 readings and an alarm arrive in one synchronous burst (before any slot is granted); one
 * server runs 2 at a time, 4 may wait. The urgent ones evict the oldest plain readings.
 */
export function runBounded(): Promise<BoundedReport> {
  const overflowed: string[] = [];
  let seq = 0;
  const reading = (id: string, priority: number, lane = 1): Reading => ({ id, lane, priority, seq: seq++ });
  const readings = [
    ...['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map((id) => reading(id, 0)),
    reading('urgent-1', 5),
    reading('alarm', 0, 0), // a command: past the bound, never dropped
    reading('r6', 0),
    reading('urgent-2', 5),
    reading('trace', -1), // lower than every waiting reading: refused
  ];
  const done$ = from(readings).pipe(
    prioritySlots({
      queue: new LevelQueue<Reading>(),
      servers: ['https://ingest.example.com'],
      coordinator: localSlotCoordinator({ defaultLimit: 2 }),
      work: (r) => timer(5).pipe(map(() => r.id)),
      maxQueued: 4,
      overflow: 'drop-oldest',
      onOverflow: (event: Overflowed<Reading>) => overflowed.push(`${event._tag} ${event.item.id}`),
    }),
    toArray(),
  );
  return lastValueFrom(done$).then((ran) => ({ ran, overflowed }));
}

// Run directly: print what happened.
if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runBounded();
  console.log(`ran: ${report.ran.join(', ')}`);
  for (const line of report.overflowed) console.log(`  ${line}`);
}
