import type { LevelQueue, Ranked } from './levelQueue.js';

/**
 * Whom a full queue under `drop-oldest` evicts for a newcomer ranked `priority`: the oldest waiting
 * item of the lowest priority among the non-commands (lane 1), unless that item ranks above the
 * newcomer (then the newcomer is the one refused, and this answers undefined). Shared by the
 * manager's `maxQueued` and the stream operators' `maxQueued`, so both choose the same victim.
 */
export function overflowVictim<T extends Ranked>(queue: LevelQueue<T>, priority: number): T | undefined {
  const victim = queue.oldestLowest(1);
  return victim === undefined || victim.priority > priority ? undefined : victim;
}
