import type { CallbackError } from './CallbackError.js';
import type { NonRetryableError } from './NonRetryableError.js';
import type { SlotWaitTimeoutError } from './SlotWaitTimeoutError.js';
import type { TaskCancelledError } from './TaskCancelledError.js';
import type { TaskTimeoutError } from './TaskTimeoutError.js';

// Guards check a brand instead of `instanceof`, so they hold across duplicated copies of the
// package (ESM and CommonJS loaded side by side).
const hasBrand = (value: unknown, brand: string): boolean =>
  typeof value === 'object' && value !== null && (value as Record<string, unknown>)[brand] === true;

export const isTaskTimeoutError = (e: unknown): e is TaskTimeoutError => hasBrand(e, 'isTaskTimeoutError');
export const isSlotWaitTimeoutError = (e: unknown): e is SlotWaitTimeoutError =>
  hasBrand(e, 'isSlotWaitTimeoutError');
export const isNonRetryableError = (e: unknown): e is NonRetryableError => hasBrand(e, 'isNonRetryableError');
export const isTaskCancelledError = (e: unknown): e is TaskCancelledError => hasBrand(e, 'isTaskCancelledError');
export const isCallbackError = (e: unknown): e is CallbackError => hasBrand(e, 'isCallbackError');
