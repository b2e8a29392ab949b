import {
  expectFiniteNumber,
  expectNonEmptyString,
  expectNonNegativeInteger,
  expectPositiveOrInfinity,
} from '../errors/checks.js';
import { invalidMessage } from '../errors/invalidOption.js';
import type { SubmitRejected, TaskInput } from '../types.js';
import type { CommandOptions } from './taskManagerApi.js';
import { isAbortSignal } from './taskSignal.js';

type Invalid = Extract<SubmitRejected, { _tag: 'InvalidTask' }>;

const invalid = (field: string, expectation: string, value: unknown): Invalid => ({
  _tag: 'InvalidTask',
  field,
  message: invalidMessage(field, expectation, value),
});

/** The task-manager's view of what a submission must look like; the first wrong field wins. */
export function validateTaskInput(input: unknown): Invalid | undefined {
  if (input === null || typeof input !== 'object') return invalid('input', 'an object', input);
  const task = input as TaskInput;
  const provider = expectNonEmptyString(task.provider, 256);
  if (provider !== undefined) return invalid('provider', provider, task.provider);
  // Absent fields take defaults: the common submission pays only for the checks above.
  if (task.id !== undefined) {
    const id = expectNonEmptyString(task.id, 1024);
    if (id !== undefined) return invalid('id', id, task.id);
  }
  if (task.priority !== undefined) {
    const priority = expectFiniteNumber(task.priority);
    if (priority !== undefined) return invalid('priority', priority, task.priority);
  }
  if (task.maxRetries !== undefined) {
    const maxRetries = expectNonNegativeInteger(task.maxRetries);
    if (maxRetries !== undefined) return invalid('maxRetries', maxRetries, task.maxRetries);
  }
  if (task.timeoutMs !== undefined) {
    const timeoutMs = expectPositiveOrInfinity(task.timeoutMs);
    if (timeoutMs !== undefined) return invalid('timeoutMs', timeoutMs, task.timeoutMs);
  }
  if (task.callbackName !== undefined && typeof task.callbackName !== 'string') {
    return invalid('callbackName', 'a string', task.callbackName);
  }
  if (task.signal !== undefined && !isAbortSignal(task.signal)) return invalid('signal', 'an AbortSignal', task.signal);
  if (task.delayMs !== undefined && (typeof task.delayMs !== 'number' || !Number.isFinite(task.delayMs) || task.delayMs < 0)) {
    return invalid('delayMs', 'a finite number from 0 and up', task.delayMs);
  }
  if (task.runAt !== undefined) {
    const runAt = expectFiniteNumber(task.runAt);
    if (runAt !== undefined) return invalid('runAt', runAt, task.runAt);
    if (task.delayMs !== undefined) return invalid('runAt', 'absent when delayMs is given', task.runAt);
  }
  return undefined;
}

/** A command's function and options, checked the same way. */
export function validateCommand(fn: unknown, options: CommandOptions): Invalid | undefined {
  const fields: Array<[string, unknown, (v: unknown) => string | undefined]> = [
    ['fn', fn, (v) => (typeof v === 'function' ? undefined : 'a function')],
    ['options', options, (v) => (v !== null && typeof v === 'object' ? undefined : 'an object')],
  ];
  if (options !== null && typeof options === 'object') {
    if (options.id !== undefined) fields.push(['id', options.id, (v) => expectNonEmptyString(v, 1024)]);
    if (options.timeoutMs !== undefined) fields.push(['timeoutMs', options.timeoutMs, expectPositiveOrInfinity]);
    if (options.maxRetries !== undefined) fields.push(['maxRetries', options.maxRetries, expectNonNegativeInteger]);
  }
  for (const [field, value, expectation] of fields) {
    const expected = expectation(value);
    if (expected !== undefined) return invalid(field, expected, value);
  }
  return undefined;
}
