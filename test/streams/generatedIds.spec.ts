import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager } from '../../src/index.js';
import { inVirtualTime } from '../helpers/virtual.js';

// Generated ids are found by their sequence number; an id that only looks generated must not
// reach another task, and a given id that looks generated must still be found.
describe('finding tasks by generated-looking ids', () => {
  it('should find generated ids, and only the exact spelling', () => {
    inVirtualTime((scheduler) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => new Promise<never>(() => undefined) }] });
      m.setServerLimit('s', 0);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const r = m.submit({ provider: 'p', payload: i });
        if (isRight(r)) ids.push(r.right.id);
      }
      const seventh = ids[7] as string;
      const digits = seventh.slice('task-'.length);
      for (const lookalike of [`task-0${digits}`, `task-${digits}~`, `task-+${digits}`, `task-${digits}.0`, `command-${digits}`, 'task-', 'task-1234567890123456', `TASK-${digits}`]) {
        expect(m.cancel(lookalike)._tag, lookalike).toBe('NotFound');
      }
      expect(m.cancel(seventh)._tag).toBe('RemovedFromQueue');
    });
  });

  it('should find a given id that looks generated, and a generated one beside it', () => {
    inVirtualTime((scheduler) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      m.setServerLimit('s', 0);
      const given = m.submit({ provider: 'p', payload: 0, id: 'task-999' });
      const generated = m.submit({ provider: 'p', payload: 1 });
      expect(isRight(given) && isRight(generated)).toBe(true);
      expect(m.cancel('task-999')._tag).toBe('RemovedFromQueue');
      expect(isRight(generated) && m.cancel(generated.right.id)._tag).toBe('RemovedFromQueue');
    });
  });
});
