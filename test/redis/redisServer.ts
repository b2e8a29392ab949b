import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * A throw-away `redis-server` (Debian's package) on a free loopback port, without persistence, for
 * the Redis tests and the cluster example. `stop()` and `start()` again keep the port, which is
 * how the outage test takes Redis away and brings it back (empty, as after a real restart).
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again) on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and waits until the process has exited. */
  stop(): Promise<void>;
}

/** True when a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the Redis tests can run. Without redis-server they fail in CI (`CI` set) and are skipped
 * locally with a message saying why.
 */
export function redisTestsEnabled(): boolean {
  if (hasRedisServer()) return true;
  if (process.env['CI']) {
    throw new Error('redis-server is required for the Redis tests in CI: apt-get install -y redis-server');
  }
  console.warn('[smt-rx] redis-server not found: skipping the Redis tests (install Debian\'s redis-server to run them)');
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `dir`: keep the data there (`SAVE` writes it, a restart loads it), as a server with persistence
 * does; without it every start is empty. `args`: more redis-server arguments.
 */
export async function startRedisServer(port?: number, options: { readonly dir?: string; readonly args?: readonly string[] } = {}): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const storage = options.dir === undefined ? [] : ['--dir', options.dir, '--dbfilename', `dump-${chosen}.rdb`];
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    async start() {
      if (child !== undefined) return;
      child = spawn(
        'redis-server',
        ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', '--protected-mode', 'no', ...storage, ...(options.args ?? [])],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const started = child;
      started.once('exit', () => {
        if (child === started) child = undefined;
      });
      await waitUntilAnswering(chosen, started);
    },
    async stop() {
      const running = child;
      if (running === undefined) return;
      child = undefined;
      await new Promise<void>((resolve) => {
        if (running.exitCode !== null || running.signalCode !== null) return resolve();
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
  await server.start();
  return server;
}

/** Polls the port with a raw PING until redis-server answers PONG. */
async function waitUntilAnswering(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (port ${port} taken?)`);
    if (await pings(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
