import type { Logger } from '../../src/index.js';

/**
 * Everything a run emits, as one text to search: JSON with errors spelled out (message, name and
 * their own fields, causes included), so a secret anywhere in them shows up.
 */
export class Emitted {
  readonly lines: string[] = [];

  add(label: string, value: unknown): void {
    this.lines.push(`${label} ${JSON.stringify(value, errorsSpelledOut)}`);
  }

  readonly logger: Logger = {
    debug: (obj, msg) => this.add(`debug ${msg}`, obj),
    info: (obj, msg) => this.add(`info ${msg}`, obj),
    warn: (obj, msg) => this.add(`warn ${msg}`, obj),
    error: (obj, msg) => this.add(`error ${msg}`, obj),
  };

  text(): string {
    return this.lines.join('\n');
  }
}

function errorsSpelledOut(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
}
