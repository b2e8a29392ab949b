import { describe, expect, it } from 'vitest';
import { createTaskManager } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

const twoProviders = (scheduler: Parameters<Parameters<typeof inVirtualTime>[0]>[0]) =>
  createTaskManager({
    scheduler,
    providers: [
      { name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
      { name: 'q', servers: ['t'], handle: () => work(50, 'ok', scheduler) },
    ],
  });

describe('onIdle / onEmpty / onSizeLessThan and their Observables (virtual time)', () => {
  it('should emit when the condition first holds once a change is whole, per provider or for all', () => {
    inVirtualTime((scheduler, flush) => {
      const m = twoProviders(scheduler);
      const seen: string[] = [];
      const watch = (name: string, o: { subscribe: (obs: { next: () => void; complete: () => void }) => unknown }): void => {
        o.subscribe({ next: () => seen.push(`${name}@${scheduler.now()}`), complete: () => seen.push(`${name} done`) });
      };
      for (let i = 0; i < 4; i++) m.submit({ provider: 'p', payload: i });
      m.submit({ provider: 'q', payload: 0 });
      watch('empty p', m.empty$('p')); // 3 queued: p's last starts at 30
      watch('below 2 p', m.sizeLessThan$(2, 'p')); // 10: 2 queued... 20: 1 queued
      watch('idle p', m.idle$('p')); // 40
      watch('idle', m.idle$()); // 50 (q)
      watch('empty q', m.empty$('q')); // nothing queued of q: at once
      flush();
      expect(seen).toEqual(['empty q@0', 'empty q done', 'below 2 p@20', 'below 2 p done', 'empty p@30', 'empty p done', 'idle p@40', 'idle p done', 'idle@50', 'idle done']);
    });
  });

  it('should never see a task between its queue and its slot: a change that moves one from queued to running is whole first', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      m.submit({ provider: 'p', payload: 0 });
      m.submit({ provider: 'p', payload: 1 });
      const at: number[] = [];
      m.idle$().subscribe(() => at.push(scheduler.now()));
      flush();
      expect(at).toEqual([20]);
    });
  });

  it('should resolve the promises (and stop waiting when an Observable is unsubscribed)', async () => {
    const order: string[] = [];
    await inVirtualTime(async (scheduler, flush) => {
      const m = twoProviders(scheduler);
      m.submit({ provider: 'p', payload: 0 });
      const idle = m.onIdle().then(() => order.push('idle'));
      const empty = m.onEmpty('p').then(() => order.push('empty p'));
      const below = m.onSizeLessThan(1).then(() => order.push('below 1'));
      let emitted = 0;
      m.idle$('p').subscribe(() => emitted++).unsubscribe();
      flush();
      await Promise.all([idle, empty, below]);
      expect(emitted).toBe(0);
    });
    expect(order).toEqual(['empty p', 'below 1', 'idle']);
  });

  it('should hold while a provider is paused with queued tasks, and refuse unknown providers and bad sizes', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = twoProviders(scheduler);
      m.pause('p');
      m.submit({ provider: 'p', payload: 0 });
      let empty = false;
      m.empty$('p').subscribe(() => (empty = true));
      flush();
      expect(empty).toBe(false);
      m.resume('p');
      expect(empty).toBe(true);
      await expect(m.onIdle('nope')).rejects.toThrow(/provider/);
      await expect(m.onSizeLessThan(0)).rejects.toThrow(/`n`/);
    });
  });

  it('should report a throwing subscriber on callbackErrors$ and go on', () => {
    inVirtualTime((scheduler, flush) => {
      const m = twoProviders(scheduler);
      const errors: string[] = [];
      m.callbackErrors$.subscribe((e) => errors.push(e.source));
      m.submit({ provider: 'p', payload: 0 });
      m.idle$().subscribe(() => {
        throw new Error('boom');
      });
      let after = false;
      m.idle$().subscribe(() => (after = true));
      flush();
      expect(errors).toEqual(['size signal subscriber']);
      expect(after).toBe(true);
    });
  });
});
