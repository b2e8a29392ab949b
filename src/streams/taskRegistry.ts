import { SeqWindow } from '../internal/seqWindow.js';
import { generatedId, type TaskRecord } from './taskRecord.js';

const GENERATED = /^(task|command)-(\d{1,15})$/;

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
    const given = this.#byGivenId.get(id);
    if (given !== undefined) return given;
    const match = GENERATED.exec(id);
    if (match === null) return undefined;
    const record = this.#bySeq.get(Number(match[2]));
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
