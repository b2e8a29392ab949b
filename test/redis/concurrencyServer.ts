import { createServer, type Server } from 'node:http';

/** One request as the server saw it. */
export interface RequestRecord {
  readonly path: string;
  readonly who: string;
  readonly holdMs: number;
  /** The task's weight (`?w=N`, 1 when absent). */
  readonly weight: number;
  readonly startedAt: number;
  endedAt: number | undefined;
}

/**
 * A local HTTP server standing in for the "servers" of the Redis tests and the cluster example:
 * each path is one server. It holds every request for `?ms=N` milliseconds and counts concurrent
 * requests per path, so a test can check that a budget held at all times, across processes.
 * A request ends when it is answered or when its client goes away (a killed process).
 */
export interface ConcurrencyServer {
  readonly port: number;
  /** The server URL of a path, e.g. `http://127.0.0.1:PORT/s1`. */
  url(path: string): string;
  /** Requests in progress on a path now. */
  current(path: string): number;
  /** The most requests ever in progress at once on a path. */
  max(path: string): number;
  readonly requests: readonly RequestRecord[];
  close(): Promise<void>;
}

/** The most of these requests that were in progress at the same moment (as the server saw them). */
export function mostAtOnce(requests: readonly RequestRecord[]): number {
  return mostWeightAtOnce(requests.map((r) => ({ ...r, weight: 1 })));
}

/** The most weight (the sum of the requests' task weights) in progress at the same moment. */
export function mostWeightAtOnce(requests: readonly RequestRecord[]): number {
  const edges = requests.flatMap((r) => [
    { at: r.startedAt, step: r.weight },
    { at: r.endedAt ?? Infinity, step: -r.weight },
  ]);
  // Ends before starts at the same millisecond: the server counts an end before the client starts the next.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (now += edge.step));
  return most;
}

export async function startConcurrencyServer(): Promise<ConcurrencyServer> {
  const current = new Map<string, number>();
  const max = new Map<string, number>();
  const requests: RequestRecord[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const hold = Number(url.searchParams.get('ms') ?? '0');
    const record: RequestRecord = { path, who: url.searchParams.get('who') ?? '', holdMs: hold, weight: Number(url.searchParams.get('w') ?? '1'), startedAt: Date.now(), endedAt: undefined };
    requests.push(record);
    const now = (current.get(path) ?? 0) + 1;
    current.set(path, now);
    max.set(path, Math.max(max.get(path) ?? 0, now));
    const end = (): void => {
      if (record.endedAt !== undefined) return;
      record.endedAt = Date.now();
      current.set(path, (current.get(path) ?? 1) - 1);
    };
    const timer = setTimeout(() => {
      end(); // counted as ended before the client can see the answer and start the next request
      res.end('ok');
    }, hold);
    res.on('close', () => {
      clearTimeout(timer);
      end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    current: (path) => current.get(path) ?? 0,
    max: (path) => max.get(path) ?? 0,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
