import fc from 'fast-check';
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { SmtPriorityQueue } from '../../src/p-queue/index.js';

/** What a paused p-queue with concurrency 1 runs, in order, once started: the labels of its functions. */
async function runOrder(queue: PQueue<SmtPriorityQueue> | PQueue): Promise<string[]> {
  const order: string[] = [];
  queue.on('completed', (label: string) => order.push(label));
  queue.start();
  await queue.onIdle();
  return order;
}

const paused = (): PQueue<SmtPriorityQueue> => new PQueue({ concurrency: 1, autoStart: false, queueClass: SmtPriorityQueue });

/** Adds a function that resolves with its label; the returned promise is awaited by `onIdle`. */
function addLabelled(queue: PQueue<SmtPriorityQueue> | PQueue, label: string, options: { priority?: number; id?: string } = {}): void {
  void queue.add(async () => label, options);
}

function setPriorityResult(queue: PQueue<SmtPriorityQueue> | PQueue, id: string, priority: number): unknown {
  try {
    queue.setPriority(id, priority);
    return 'moved';
  } catch (error) {
    return (error as Error).constructor;
  }
}

describe('SmtPriorityQueue as p-queue queueClass', () => {
  it('should run higher priorities first', async () => {
    const queue = paused();
    addLabelled(queue, 'low', { priority: -1 });
    addLabelled(queue, 'default');
    addLabelled(queue, 'high', { priority: 10 });
    addLabelled(queue, 'middle', { priority: 2.5 });
    expect(queue.size).toBe(4);
    expect(await runOrder(queue)).toEqual(['high', 'middle', 'default', 'low']);
  });

  it('should run equal priorities in the order they were added', async () => {
    const queue = paused();
    for (const label of ['a', 'b', 'c', 'd']) addLabelled(queue, label, { priority: 1 });
    addLabelled(queue, 'first', { priority: 2 });
    expect(await runOrder(queue)).toEqual(['first', 'a', 'b', 'c', 'd']);
  });

  it('should move a function with setPriority behind those already at its new priority', async () => {
    const queue = paused();
    addLabelled(queue, 'a', { priority: 1 });
    addLabelled(queue, 'crab', { priority: 1, id: 'crab' });
    addLabelled(queue, 'b', { priority: 0 });
    addLabelled(queue, 'c', { priority: 0 });
    queue.setPriority('crab', 0);
    expect(await runOrder(queue)).toEqual(['a', 'b', 'c', 'crab']);
  });

  it('should throw a ReferenceError from setPriority for an id that is not waiting', () => {
    const queue = paused();
    addLabelled(queue, 'a', { id: 'a' });
    expect(() => queue.setPriority('missing', 1)).toThrow(ReferenceError);
  });

  it('should count the functions of one priority with sizeBy', () => {
    const queue = paused();
    addLabelled(queue, 'a', { priority: 1 });
    addLabelled(queue, 'b', { priority: 1 });
    addLabelled(queue, 'c', { priority: 2 });
    expect(queue.sizeBy({ priority: 1 })).toBe(2);
    expect(queue.sizeBy({ priority: 2 })).toBe(1);
    expect(queue.sizeBy({ priority: 3 })).toBe(0);
  });

  it('should drop a waiting function whose signal aborts', async () => {
    const queue = paused();
    const controller = new AbortController();
    addLabelled(queue, 'a');
    const aborted = queue.add(async () => 'aborted', { signal: controller.signal });
    addLabelled(queue, 'b');
    controller.abort(new Error('no longer needed'));
    await expect(aborted).rejects.toThrow('no longer needed');
    expect(queue.size).toBe(2);
    expect(await runOrder(queue)).toEqual(['a', 'b']);
  });

  it('should filter in run order, including functions added without an id', () => {
    const queue = new SmtPriorityQueue();
    const runs = [0, 1, 2, 3].map((n) => async () => n);
    queue.enqueue(runs[0]!, { priority: 1 });
    queue.enqueue(runs[1]!, { priority: 1, id: 'x' });
    queue.enqueue(runs[2]!, { priority: 2, id: 'y' });
    queue.enqueue(runs[3]!, { priority: 1, id: 'z' });
    queue.setPriority('x', 1);
    expect(queue.filter({ priority: 1 })).toEqual([runs[0], runs[3], runs[1]]);
    expect(queue.dequeue()).toBe(runs[2]);
    expect(queue.size).toBe(3);
  });

  it('should run exactly the order of p-queue\'s own queue for any adds and setPriority calls', async () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), priority: fc.integer({ min: -2, max: 2 }), id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('setPriority' as const), priority: fc.integer({ min: -2, max: 2 }), id: fc.integer({ min: 0, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
        const ours = paused();
        const theirs = new PQueue({ concurrency: 1, autoStart: false });
        operations.forEach((op, index) => {
          if (op.kind === 'add') {
            const options = { priority: op.priority, ...(op.id === undefined ? {} : { id: String(op.id) }) };
            addLabelled(ours, String(index), options);
            addLabelled(theirs, String(index), options);
          } else {
            // Both move the function, or both throw the same error class.
            expect(setPriorityResult(ours, String(op.id), op.priority)).toBe(setPriorityResult(theirs, String(op.id), op.priority));
          }
          for (const priority of [-2, 0, 2]) expect(ours.sizeBy({ priority })).toBe(theirs.sizeBy({ priority }));
        });
        expect(ours.size).toBe(theirs.size);
        expect(await runOrder(ours)).toEqual(await runOrder(theirs));
      }),
      { numRuns: 200 },
    );
  });
});
