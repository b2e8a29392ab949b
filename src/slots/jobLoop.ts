/**
 * The slot broker's work, one job at a time: a job noted while another runs (a start whose work
 * completes synchronously frees its slot at once) waits for it and runs from the same loop, so
 * the broker never recurses into itself.
 * @internal
 */
export class JobLoop<J> {
  #jobs: J[] = [];
  #head = 0;
  #busy = false;

  constructor(readonly run: (job: J) => void) {}

  add(job: J): void {
    if (this.#busy) {
      this.#jobs.push(job);
      return;
    }
    this.#busy = true;
    try {
      // The usual case, one job and nothing noted meanwhile, never touches the array.
      this.run(job);
      while (this.#head < this.#jobs.length) this.run(this.#jobs[this.#head++] as J);
    } finally {
      if (this.#jobs.length > 0) this.#jobs.length = 0;
      this.#head = 0;
      this.#busy = false;
    }
  }
}
