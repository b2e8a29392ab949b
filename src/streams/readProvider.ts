import { check, checkOptional, expectFunction, expectMaxQueued, expectNonEmptyString, expectOverflow } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { readArray, readField } from '../errors/readOnce.js';
import type { Provider } from '../types.js';

const expectFiniteNonNegative = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a finite number from 0 and up';

/**
 * A provider is read once, checked, and the frozen copy is what the manager keeps (at creation and
 * when added live): a `name` or `servers` getter that answers differently later changes nothing.
 * `handle` is called on the provider given, so a class-based provider keeps its `this`.
 */
export function readProvider<P extends Provider>(provider: P, field: string): P {
  if (provider === null || typeof provider !== 'object') throw new InvalidOptionError(field, 'a provider object', provider);
  const name = readField(provider, 'name', `${field}.name`);
  check(`${field}.name`, name, (v) => expectNonEmptyString(v, 256));
  const handle = readField(provider, 'handle', `${field}.handle`);
  check(`${field}.handle`, handle, expectFunction);
  const servers = readServerList(readField(provider, 'servers', `${field}.servers`), `${field}.servers`);
  const holdAfterAbortMs = readField(provider, 'holdAfterAbortMs', `${field}.holdAfterAbortMs`);
  checkOptional(`${field}.holdAfterAbortMs`, holdAfterAbortMs, expectFiniteNonNegative);
  const maxQueued = readField(provider, 'maxQueued', `${field}.maxQueued`);
  checkOptional(`${field}.maxQueued`, maxQueued, expectMaxQueued);
  const overflow = readField(provider, 'overflow', `${field}.overflow`);
  checkOptional(`${field}.overflow`, overflow, expectOverflow);
  const run = handle as Provider['handle'];
  return Object.freeze({
    name,
    servers,
    handle: (task, ctx) => run.call(provider, task, ctx),
    ...(holdAfterAbortMs === undefined ? {} : { holdAfterAbortMs }),
    ...(maxQueued === undefined ? {} : { maxQueued }),
    ...(overflow === undefined ? {} : { overflow }),
  } as Provider) as P;
}

/** A pool, copied once and checked: the frozen copy is the one used. */
export function readServerList(given: unknown, field: string): readonly string[] {
  const servers = readArray(given, field);
  if (servers === undefined) throw new InvalidOptionError(field, 'an array of server strings', given);
  servers.forEach((server, i) => check(`${field}[${i}]`, server, (v) => expectNonEmptyString(v, 2048)));
  return Object.freeze(servers as string[]);
}
