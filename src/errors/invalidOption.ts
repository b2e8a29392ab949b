import { withoutCredentials } from '../internal/credentials.js';

/**
 * Builds the one message format used for every refused option or argument:
 * Expected `field` to be <expectation>, got `value` (type).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const safe = withoutCredentials(value);
    const shown = safe.length > 60 ? `${safe.slice(0, 57)}...` : safe;
    return `\`${JSON.stringify(shown)}\` (string)`;
  }
  if (typeof value === 'function') return '`[function]` (function)';
  if (value === null) return '`null` (null)';
  if (typeof value === 'object') return `\`${isArray(value) ? '[array]' : '[object]'}\` (object)`;
  return `\`${String(value)}\` (${typeof value})`;
}

/** Array.isArray throws for a revoked Proxy: describing a value must never throw. */
function isArray(value: object): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

export function invalidMessage(field: string, expectation: string, value: unknown): string {
  return `Expected \`${field}\` to be ${expectation}, got ${describeValue(value)}`;
}

/** A `TypeError` that names the field, what was expected and what was given. */
export class InvalidOptionError extends TypeError {
  override readonly name = 'TypeError';
  constructor(
    readonly field: string,
    readonly expectation: string,
    readonly value: unknown,
  ) {
    super(invalidMessage(field, expectation, value));
  }
}
