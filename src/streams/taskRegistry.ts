import { SeqWindow } from '../internal/seqWindow.js';
import { GENERATED_PREFIXES, generatedId, type TaskRecord } from './taskRecord.js';

/**
 * The sequence number in a generated-looking id (`task-<digits>` / `command-<digits>`, 1 to 15
 * digits), or -1. By hand: a regular expression's match allocates an array and two strings on
 * every cancel.
 */
function generatedSeq(id: string): number {
  let start = -1;
  // An index loop: a cancel is often a cold path, where for-of's iterator costs more than the parse.
  for (let lane = 0; lane < GENERATED_PREFIXES.length; lane++) {
    const prefix = GENERATED_PREFIXES[lane] as string;
    if (id.startsWith(prefix)) start = prefix.length;
  }
  const digits = id.length - start;
  if (start < 0 || digits < 1 || digits > 15) return -1;
  let seq = 0;
  for (let i = start; i < id.length; i++) {
    const digit = id.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    seq = seq * 10 + digit;
  }
  return seq;
}

/**
 * Every live task by id, for O(1) duplicate checks and cancels. Generated ids are keyed by their
 * sequence number (a small integer: no string to build, hash or keep per task); ids given at
 * submit are keyed by the string. The two never disagree: a given id that looks generated is
 * checked against both.
 * @internal
 */
export class TaskRegistry {
  readonly #byGivenId = new Map<string, TaskRecord>();
  readonly #bySeq = new SeqWindow<TaskRecord>();

  get size(): number {
    return this.#byGivenId.size + this.#bySeq.size;
  }

  get(id: string): TaskRecord | undefined {
    // Most managers never see a given id: no hash of the string then.
    const given = this.#byGivenId.size === 0 ? undefined : this.#byGivenId.get(id);
    if (given !== undefined) return given;
    const seq = generatedSeq(id);
    if (seq < 0) return undefined;
    const record = this.#bySeq.get(seq);
    return record !== undefined && record.id === id ? record : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** True when a task submitted now without an id would get an id that a live task has. */
  generatedIdTaken(lane: 0 | 1, seq: number): boolean {
    return this.#byGivenId.size > 0 && this.#byGivenId.has(generatedId(lane, seq));
  }

  add(record: TaskRecord, generated: boolean): void {
    if (generated) this.#bySeq.add(record.seq, record);
    else this.#byGivenId.set(record.id, record);
  }

  /**
   * Keys a record registered by its sequence number under its id string instead, before its
   * sequence number changes (`setPriority`); its id stays the one it was given.
   */
  rekey(record: TaskRecord): void {
    if (this.#bySeq.get(record.seq) !== record) return;
    const id = record.id;
    this.#bySeq.delete(record.seq);
    this.#byGivenId.set(id, record);
  }

  /** Removes the record if it is the one registered under its id. */
  delete(record: TaskRecord): void {
    if (this.#bySeq.get(record.seq) === record) this.#bySeq.delete(record.seq);
    else if (this.#byGivenId.get(record.id) === record) this.#byGivenId.delete(record.id);
  }

  *values(): IterableIterator<TaskRecord> {
    yield* this.#byGivenId.values();
    yield* this.#bySeq.values();
  }
}
