/**
 * Serves a manager's live dashboard (smt-rx/dashboard) on DASHBOARD_PORT (default 4321; a free
 * port when that one is taken). A page left open reconnects by itself when the demo runs again.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dashboard } from '../../src/dashboard/index.js';
import type { ObservedManager } from '../../src/index.js';

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveDashboard(manager: ObservedManager, title: string): Promise<DashboardServer> {
  const board = dashboard(manager, { title });
  const server = createServer(board);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(Number(process.env['DASHBOARD_PORT'] ?? 4321)).catch(() => listen(0));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        board.close(); // ends the pages' event streams, so the server can close
        server.close(() => resolve());
      }),
  };
}
