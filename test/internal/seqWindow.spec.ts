import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeqWindow } from '../../src/internal/seqWindow.js';

describe('SeqWindow', () => {
  it('should behave like a Map for increasing keys under random adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.nat()), { maxLength: 3000 }), (ops) => {
        const window = new SeqWindow<string>();
        const model = new Map<number, string>();
        let seq = 0;
        for (const [op, step, pick] of ops) {
          if (op < 6) {
            seq += step;
            window.add(seq, `v${seq}`);
            model.set(seq, `v${seq}`);
          } else if (model.size > 0) {
            const keys = [...model.keys()];
            // Mostly delete old keys, sometimes leave one behind for a long time (it pins the window).
            const key = keys[op === 9 ? keys.length - 1 : pick % Math.min(keys.length, 4)] as number;
            window.delete(key);
            model.delete(key);
          }
          expect(window.size).toBe(model.size);
        }
        for (const [key, value] of model) expect(window.get(key)).toBe(value);
        expect(window.get(seq + 1)).toBeUndefined();
        expect([...window.values()].sort()).toEqual([...model.values()].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('should stay right when one old entry stays while 100,000 pass (the window spills)', () => {
    const window = new SeqWindow<number>();
    window.add(0, 0); // pinned
    for (let seq = 1; seq < 100_000; seq++) {
      window.add(seq, seq);
      window.delete(seq);
    }
    expect(window.size).toBe(1);
    expect(window.get(0)).toBe(0);
    window.delete(0);
    expect(window.size).toBe(0);
  });
});
