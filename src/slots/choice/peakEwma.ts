/**
 * Peak-EWMA latency of one server (Finagle's load-balancer cost): a latency above the average
 * replaces it at once (peaks count immediately), a latency below pulls it down with an exponential
 * weight of the time since the last sample (`tauMs`: after `tauMs` without samples, the old
 * average weighs 1/e). The cost of sending one more attempt is `latency × (running + 1)`: a slow
 * server and a busy server both cost more. A server with no sample yet costs 0, so it is tried.
 * Pure: time comes in as arguments.
 */
export class PeakEwma {
  #latencyMs = 0;
  #at = 0;
  #seen = false;

  constructor(readonly tauMs: number) {}

  observe(latencyMs: number, now: number): void {
    if (!this.#seen || latencyMs > this.#latencyMs) {
      this.#latencyMs = latencyMs;
    } else {
      const weight = Math.exp(-Math.max(0, now - this.#at) / this.tauMs);
      this.#latencyMs = this.#latencyMs * weight + latencyMs * (1 - weight);
    }
    this.#seen = true;
    this.#at = now;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  cost(running: number): number {
    return this.#latencyMs * (running + 1);
  }
}
