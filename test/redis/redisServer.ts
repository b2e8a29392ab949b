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

/**
 * Polls the port until *this* redis-server answers: the answer must carry the child's process id,
 * since another test file's server may have taken the same free port meanwhile (then ours exits, and
 * a plain PING would be answered by theirs, which that file may stop or flush mid-test).
 */
async function waitUntilAnswering(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (port ${port} taken?)`);
    const answeredBy = await serverPid(port);
    if (answeredBy !== undefined && answeredBy !== child.pid) throw new Error(`port ${port} is another redis-server's (pid ${answeredBy})`);
    if (answeredBy !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

/** The process id of the redis-server answering on the port (INFO server), or undefined if none answers. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    let reply = '';
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      const match = /process_id:(\d+)/.exec(reply);
      if (match !== null) {
        socket.destroy();
        resolve(Number(match[1]));
      } else if (reply.startsWith('-')) {
        socket.destroy();
        resolve(undefined); // loading, or not ready yet
      }
    });
    socket.on('error', () => resolve(undefined));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(undefined);
    });
  });
}
