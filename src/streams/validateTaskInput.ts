import {
  expectFiniteNumber,
  expectNonEmptyString,
  expectNonNegativeInteger,
  expectPositiveOrInfinity,
} from '../errors/checks.js';
import { invalidMessage } from '../errors/invalidOption.js';
import { UNREADABLE } from '../errors/readOnce.js';
import type { SubmitRejected, TaskInput } from '../types.js';
import type { CommandOptions } from './taskManagerApi.js';
import { isAbortSignal } from './taskSignal.js';

type Invalid = Extract<SubmitRejected, { _tag: 'InvalidTask' }>;

const invalid = (field: string, expectation: string, value: unknown): Invalid => ({
  _tag: 'InvalidTask',
  field,
  message: invalidMessage(field, expectation, value),
});

export const isInvalid = (checked: object): checked is Invalid => (checked as Partial<Invalid>)._tag === 'InvalidTask';

/**
 * A submission read once, field by field, into a plain copy, which is then checked and used: a
 * getter that answers differently the second time, or throws, cannot get past the checks.
 */
function readTaskInput(input: object): TaskInput | Invalid {
  let field = 'provider';
  try {
    const given = input as TaskInput;
    const provider = given.provider;
    field = 'payload';
    const payload: unknown = given.payload;
    field = 'id';
    const id = given.id;
    field = 'priority';
    const priority = given.priority;
    field = 'maxRetries';
    const maxRetries = given.maxRetries;
    field = 'timeoutMs';
    const timeoutMs = given.timeoutMs;
    field = 'callbackName';
    const callbackName = given.callbackName;
    field = 'signal';
    const signal = given.signal;
    field = 'delayMs';
    const delayMs = given.delayMs;
    field = 'runAt';
    const runAt = given.runAt;
    field = 'weight';
    const weight = given.weight;
    return { provider, payload, id, priority, maxRetries, timeoutMs, callbackName, signal, delayMs, runAt, weight };
  } catch (thrown) {
    return invalid(field, UNREADABLE, thrown);
  }
}

/** The task-manager's view of what a submission must look like; the first wrong field wins. */
export function validateTaskInput(input: unknown): TaskInput | Invalid {
  if (input === null || typeof input !== 'object') return invalid('input', 'an object', input);
  const task = readTaskInput(input);
  if (isInvalid(task)) return task;
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
  if (task.callbackName !== undefined && (typeof task.callbackName !== 'string' || task.callbackName.length > 1024)) {
    return invalid('callbackName', 'a string of at most 1024 characters', task.callbackName);
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
  if (task.weight !== undefined && !(Number.isInteger(task.weight) && task.weight >= 1)) return invalid('weight', 'a positive integer', task.weight);
  return task;
}

/** A command's function and options (read once, like a task's), checked the same way. */
export function validateCommand(fn: unknown, given: CommandOptions): CommandOptions | Invalid {
  const fields: Array<[string, unknown, (v: unknown) => string | undefined]> = [
    ['fn', fn, (v) => (typeof v === 'function' ? undefined : 'a function')],
    ['options', given, (v) => (v !== null && typeof v === 'object' ? undefined : 'an object')],
  ];
  const options = given !== null && typeof given === 'object' ? readCommandOptions(given) : given;
  if (options !== null && typeof options === 'object') {
    if (isInvalid(options)) return options;
    if (options.id !== undefined) fields.push(['id', options.id, (v) => expectNonEmptyString(v, 1024)]);
    if (options.timeoutMs !== undefined) fields.push(['timeoutMs', options.timeoutMs, expectPositiveOrInfinity]);
    if (options.maxRetries !== undefined) fields.push(['maxRetries', options.maxRetries, expectNonNegativeInteger]);
  }
  for (const [field, value, expectation] of fields) {
    const expected = expectation(value);
    if (expected !== undefined) return invalid(field, expected, value);
  }
  return options;
}

function readCommandOptions(options: CommandOptions): CommandOptions | Invalid {
  let field = 'id';
  try {
    const id = options.id;
    field = 'timeoutMs';
    const timeoutMs = options.timeoutMs;
    field = 'maxRetries';
    const maxRetries = options.maxRetries;
    return { id, timeoutMs, maxRetries };
  } catch (thrown) {
    return invalid(field, UNREADABLE, thrown);
  }
}
