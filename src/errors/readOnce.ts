import { InvalidOptionError } from './invalidOption.js';

/**
 * Input is read once, and the copy is what gets checked and used: a getter (or a Proxy) that
 * answers differently the second time, or throws, cannot slip past validation or escape raw.
 */
export const UNREADABLE = 'a value that can be read (reading it threw)';

/** One field, read once; a throwing read becomes the `TypeError` that names the field. */
export function readField(source: object, key: string, field: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch (thrown) {
    throw new InvalidOptionError(field, UNREADABLE, thrown);
  }
}

/** The listed fields of an options object, each read once, as a plain object. */
export function readFields<K extends string>(source: object, keys: readonly K[], prefix: string): Partial<Record<K, unknown>> {
  const copy: Partial<Record<K, unknown>> = {};
  for (const key of keys) {
    const value = readField(source, key, prefix + key);
    if (value !== undefined) copy[key] = value;
  }
  return copy;
}

/** An array, copied element by element (a revoked Proxy or a throwing element names the field). */
export function readArray(source: unknown, field: string): unknown[] | undefined {
  try {
    return Array.isArray(source) ? Array.from(source as unknown[]) : undefined;
  } catch (thrown) {
    throw new InvalidOptionError(field, UNREADABLE, thrown);
  }
}
