import { InvalidOptionError } from '../../errors/invalidOption.js';
import { aimdLimit } from './aimdLimit.js';
import type { AdaptiveBounds } from './adaptiveLimit.js';
import { gradientLimit } from './gradientLimit.js';
import type { LimitAlgorithm } from './limitAlgorithm.js';

/** An adaptive limit as the user gives it. */
export interface AdaptiveLimitOptions {
  /** Never below. @default 1 */
  readonly min?: number;
  /** The hard cap (an integer, required). */
  readonly max: number;
  /** Where it starts. @default min */
  readonly initial?: number;
  /** `'gradient'` (latency-led), `'aimd'`, or your own {@link LimitAlgorithm}. @default 'gradient' */
  readonly algorithm?: 'gradient' | 'aimd' | LimitAlgorithm;
}

const isCount = (v: unknown, from: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= from;

/** Checks the bounds and picks the algorithm; a wrong field throws an `InvalidOptionError` naming it. */
export function resolveAdaptive(field: string, options: AdaptiveLimitOptions): { bounds: AdaptiveBounds; algorithm: LimitAlgorithm } {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(field, 'an object { min?, max, initial?, algorithm? }', options);
  const min = options.min ?? 1;
  if (!isCount(min, 1)) throw new InvalidOptionError(`${field}.min`, 'an integer from 1 and up', min);
  if (!isCount(options.max, min)) throw new InvalidOptionError(`${field}.max`, `an integer from min (${min}) and up`, options.max);
  const initial = options.initial ?? min;
  if (!isCount(initial, min) || initial > options.max) {
    throw new InvalidOptionError(`${field}.initial`, `an integer from ${min} to ${options.max}`, initial);
  }
  return { bounds: { min, max: options.max, initial }, algorithm: pickAlgorithm(`${field}.algorithm`, options.algorithm) };
}

function pickAlgorithm(field: string, algorithm: AdaptiveLimitOptions['algorithm']): LimitAlgorithm {
  if (algorithm === undefined || algorithm === 'gradient') return gradientLimit();
  if (algorithm === 'aimd') return aimdLimit();
  if (algorithm !== null && typeof algorithm === 'object' && typeof algorithm.create === 'function' && typeof algorithm.name === 'string') {
    return algorithm;
  }
  throw new InvalidOptionError(field, "'gradient', 'aimd' or a LimitAlgorithm ({ name, create })", algorithm);
}
