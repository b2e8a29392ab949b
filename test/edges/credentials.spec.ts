import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, normalizeServerKey, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, virtualPromise } from '../helpers/virtual.js';
import { Emitted } from './emitted.js';

// README, "Server key": `user:password@` never reaches stats, logs, errors, events or Redis. The
// handler alone sees it (ctx.server), because it needs it to reach the server.

const SECRET = 's3cret';
const pool = [`https://bot:${SECRET}@h.example.com/api`, `http://bot:${SECRET}@exa mple.com/x`];

describe('credentials in server URLs', () => {
  it('should keep the password out of everything a run emits, and give it to the handler', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const out = new Emitted();
      const seenByHandler: string[] = [];
      const m = createTaskManager({
        scheduler,
        logger: out.logger,
        timeout: 20,
        abandonAfterMs: 10,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 5, maxDelayMs: 5, jitter: 'none' } },
        slotWait: { maxWaitMs: 30 },
        serverLimits: { [pool[0] as string]: 1 },
        providers: [{
          name: 'p',
          servers: pool,
          handle: (task, ctx) => {
            seenByHandler.push(ctx.server);
            // A Promise that ignores its signal: timed out, retried, then abandoned.
            return task.payload === 'ignore' ? virtualPromise(1_000, 1, scheduler) : NEVER;
          },
        }],
      });
      m.events$.subscribe((e) => out.add('event', e));
      m.stats$.subscribe((s) => out.add('stats', s));
      m.callbackErrors$.subscribe((e) => out.add('callbackError', e));
      const outcome = (r: ReturnType<typeof m.submit>): void => {
        if (isRight(r)) r.right.outcome$.subscribe((o: TaskOutcome) => out.add('outcome', o));
      };
      outcome(m.submit({ provider: 'p', payload: 'ignore', id: 'a' }));
      outcome(m.submit({ provider: 'p', payload: 'never', id: 'b' }));
      outcome(m.submit({ provider: 'p', payload: 'never', id: 'c' }));
      for (const id of ['d', 'e', 'f', 'g']) outcome(m.submit({ provider: 'p', payload: 'never', id }));
      out.add('cancel', m.cancel('b'));
      out.add('bad pool', m.updateProviderServers('p', [pool[0] as string, 42 as unknown as string]));
      out.add('bad pool entry', m.updateProviderServers('p', [`https://bot:${SECRET}@h.example.com/${'x'.repeat(3000)}`]));
      flush();
      out.add('report', await m.shutdown({ mode: 'cancel', graceMs: 0 }));

      const text = out.text();
      for (const shown of ['TaskTimeoutError', 'SlotWaitTimeoutError', 'abandoned', 'InterruptedRunning', 'h.example.com', 'exa mple.com']) {
        expect(text.includes(shown), shown).toBe(true);
      }
      expect(text.includes(SECRET)).toBe(false);
      expect(seenByHandler).toContain(pool[0]);
    });
  });

  it('should strip credentials from a key even when the URL parser refuses it', () => {
    expect(normalizeServerKey(`http://bot:${SECRET}@exa mple.com/x?y`)).toBe('http://exa mple.com/x?y');
    expect(normalizeServerKey('http://exa mple.com/a@b')).toBe('http://exa mple.com/a@b');
  });

  it('should keep the password out of a refused option\'s message', () => {
    let message = '';
    try {
      createTaskManager({ providers: [{ name: 'p', servers: [`https://bot:${SECRET}@h.example.com/${'x'.repeat(3000)}`], handle: () => 1 }] });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('providers[0].servers[0]');
    expect(message).not.toContain(SECRET);
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
    const refused = m.updateProviderServers('p', [`https://bot:${SECRET}@h/${'x'.repeat(3000)}`]);
    expect(isLeft(refused) && JSON.stringify(refused.left)).not.toContain(SECRET);
  });
});
