/* A throw-away redis-server for the demos (no persistence), on a free loopback port. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer as createNetServer } from 'node:net';

export interface LocalRedis {
  readonly url: string;
  stop(): void;
}

export async function startRedis(): Promise<LocalRedis> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL');
  }
  await new Promise<void>((resolve, reject) => {
    child.once('error', () => reject(new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL')));
    const attempt = (tries: number): void => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => (tries > 100 ? reject(new Error('redis-server did not start')) : void setTimeout(() => attempt(tries + 1), 50)));
    };
    attempt(0);
  });
  const stop = (): void => void child.kill('SIGKILL');
  process.once('exit', stop);
  return { url: `redis://127.0.0.1:${port}`, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
