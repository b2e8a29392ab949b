import {
  expectFiniteNumber,
  expectNonEmptyString,
  expectNonNegativeInteger,
  expectPositiveOrInfinity,
} from '../errors/checks.js';
import { invalidMessage } from '../errors/invalidOption.js';
import type { SubmitRejected, TaskInput } from '../types.js';

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
  return undefined;
}
