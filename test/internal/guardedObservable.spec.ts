import { filter, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Multicast } from '../../src/internal/multicast.js';

describe('GuardedObservable (through Multicast)', () => {
  it('should hand a throwing observer to report and keep delivering to it and to the others, through pipeable operators too', () => {
    const reported: unknown[] = [];
    const hot = new Multicast<number>((e) => reported.push(e));
    const seen: number[] = [];
    hot.observable.subscribe(() => {
      throw new Error('plain');
    });
    hot.observable.pipe(filter((n) => n > 0), map((n) => n * 10)).subscribe({
      next: (n) => {
        if (n === 20) throw new Error('piped');
        seen.push(n);
      },
    });
    hot.next(1);
    hot.next(2);
    hot.next(3);
    expect(seen).toEqual([10, 30]);
    expect(reported.map((e) => (e as Error).message)).toEqual(['plain', 'plain', 'piped', 'plain']);
  });

  it("should honour rxjs's three-callback subscribe form", () => {
    const hot = new Multicast<number>(() => undefined);
    const log: string[] = [];
    hot.observable.subscribe((n) => log.push(`next ${n}`), undefined, () => log.push('complete'));
    hot.next(1);
    hot.complete();
    expect(log).toEqual(['next 1', 'complete']);
  });
});
