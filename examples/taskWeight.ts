// Task weight: a big job takes both slots of a server whose limit is 2, and a light task that arrives
// after it does not overtake it although a slot is free (the budget is held for the heavy task).
// `npx tsx examples/taskWeight.ts` runs it; test/examples/taskWeight.spec.ts checks it.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createTaskManager, defineProvider, type TaskEvent } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WeightReport {
  /** Task ids in the order they started. */
  readonly startOrder: string[];
  /** The server's in-use (by weight) at each start. */
  readonly inUseAtStart: number[];
  readonly refused: string[];
}

export async function runTaskWeight(): Promise<WeightReport> {
  const server = 'https://gpu-1.example.com';
  const light = defineProvider({ name: 'light', servers: [server], handle: () => sleep(20) });
  const gpu = defineProvider({ name: 'gpu', servers: [server], handle: () => sleep(5) });
  const manager = createTaskManager({ providers: [light, gpu], serverLimits: { [server]: 2 } });

  const startOrder: string[] = [];
  const inUseAtStart: number[] = [];
  manager.events$.subscribe((e: TaskEvent) => {
    if (e.type !== 'started') return;
    startOrder.push(e.id);
    inUseAtStart.push(manager.stats().servers[`${server}/`]?.inUse ?? -1); // budget keys are normalised URLs
  });
  const refused: string[] = [];

  manager.submit({ provider: 'light', payload: null, id: 'l1' }); // starts: 1 of 2 slots
  manager.submit({ provider: 'gpu', payload: null, id: 'big', weight: 2 }); // needs both: holds the server
  manager.submit({ provider: 'light', payload: null, id: 'l2' }); // a slot is free, but big is first
  const tooBig = manager.submit({ provider: 'gpu', payload: null, id: 'huge', weight: 3 });
  if (isLeft(tooBig)) refused.push(`huge: ${tooBig.left._tag}`); // above every limit of the pool

  await manager.onIdle();
  await manager.shutdown();
  return { startOrder, inUseAtStart, refused };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runTaskWeight().then((report) => console.log(report));
}
