import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerCommand, WorkerConfig, WorkerMessage } from './worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/** A test worker (test/redis/worker.ts) in its own Node process, run through tsx. */
export class WorkerProcess {
  readonly messages: WorkerMessage[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<() => void>();

  private constructor(readonly name: string, child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // stray output
      this.messages.push(JSON.parse(line) as WorkerMessage);
      for (const listener of [...this.#listeners]) listener();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static spawn(config: WorkerConfig): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'worker.ts'), JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new WorkerProcess(config.instanceName, child);
  }

  of<T extends WorkerMessage['type']>(type: T): Extract<WorkerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<WorkerMessage, { type: T }> => m.type === type);
  }

  /** Resolves with the first message (already received or future) that matches. */
  async waitFor(match: (message: WorkerMessage) => boolean, timeoutMs = 30_000, what = 'a message'): Promise<WorkerMessage> {
    await this.until(() => this.messages.some(match), timeoutMs, what);
    return this.messages.find(match) as WorkerMessage;
  }

  /** Resolves once `count` messages of a type have arrived. */
  waitForCount(type: WorkerMessage['type'], count: number, timeoutMs = 30_000): Promise<void> {
    let seen = 0;
    let scanned = 0;
    return this.until(
      () => {
        for (; scanned < this.messages.length; scanned++) if (this.messages[scanned]!.type === type) seen++;
        return seen >= count;
      },
      timeoutMs,
      `${count} '${type}' messages`,
    );
  }

  /** Resolves when `condition` holds, checked now and after every message. */
  until(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = (): void => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker ${this.name}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#listeners.add(listener);
      listener();
    });
  }

  send(command: WorkerCommand): void {
    this.#child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Asks the worker to shut down and close its coordinator; kills it if that takes too long. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.send({ cmd: 'exit' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
