import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { ObservedManager } from '../types.js';
import { streamEvents } from './eventStream.js';
import { liveState } from './liveState.js';
import { pageHtml, pageSecurityPolicy } from './page.js';

export interface DashboardOptions {
  /** The page's title. @default 'smt-rx' */
  readonly title?: string;
  /** At most one update per this many milliseconds to each page (the last of a burst is sent). @default 500 */
  readonly throttleMs?: number;
  /** Rates (per second) are taken over this many milliseconds. @default 10_000 */
  readonly rateWindowMs?: number;
  /** How many of the latest failures the page lists. @default 20 */
  readonly maxFailures?: number;
  /**
   * Where the handler is mounted when the framework does not strip the path from `req.url`
   * (Express's `app.use('/smt', …)` does; a plain `http.createServer` has nothing to strip).
   * @default ''
   */
  readonly basePath?: string;
  /** The clock of throttling and rates. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** A `node:http` request handler; `next` (Express/Connect) is called for paths it does not serve. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Ends every open event stream and stops reading the manager (call it before `server.close()`). */
  close(): void;
}

/**
 * A live dashboard of a task manager as a `node:http` request handler: one page (no framework, no
 * external asset, works offline) with per provider its counts and rates, per budget its limit,
 * slots in use and waiters (the busiest first) and, when the manager has a cluster view
 * (`clusterStats$`, e.g. with smt-rx/redis), the slots in use in every process and the processes
 * waiting; and the latest failures with their errors, kept live over Server-Sent Events from
 * `stats$`, `clusterStats$` and `events$`. It serves `GET /` (the page),
 * `GET /events` (the stream) and `GET /state.json` (the current state), relative to where it is
 * mounted.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createTaskManager, defineProvider } from 'smt-rx';
 * import { dashboard } from 'smt-rx/dashboard';
 *
 * const manager = createTaskManager({ providers: [defineProvider({ name: 'echo', servers: ['local'], handle: (task) => task.payload })] });
 * const board = dashboard(manager);
 * createServer(board).listen(4000); // http://localhost:4000/
 * @since 0.2.0
 */
export function dashboard(manager: ObservedManager, options: DashboardOptions = {}): DashboardHandler {
  const live = liveState(manager, {
    throttleMs: options.throttleMs ?? 500,
    rateWindowMs: options.rateWindowMs ?? 10_000,
    maxFailures: options.maxFailures ?? 20,
    scheduler: options.scheduler ?? asyncScheduler,
  });
  const page = pageHtml(options.title ?? 'smt-rx');
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const open = new Set<ServerResponse>();

  const handler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    const route = routeOf(req.url ?? '/', basePath);
    if (route === undefined) {
      if (next !== undefined) next();
      else reply(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      reply(res, 405, 'text/plain; charset=utf-8', 'Method not allowed');
      return;
    }
    if (route === 'page') {
      res.setHeader('content-security-policy', pageSecurityPolicy);
      reply(res, 200, 'text/html; charset=utf-8', req.method === 'HEAD' ? '' : page);
    } else if (route === 'state') {
      let sent = false;
      live.states$.subscribe((state) => {
        if (!sent) reply(res, 200, 'application/json; charset=utf-8', JSON.stringify(state));
        sent = true;
      }).unsubscribe();
      if (!sent) reply(res, 503, 'text/plain; charset=utf-8', 'No state yet');
    } else {
      open.add(res);
      res.on('close', () => open.delete(res));
      streamEvents(res, live.states$);
    }
  };
  return Object.assign(handler, {
    close() {
      live.close();
      for (const res of open) res.end();
      open.clear();
    },
  });
}

type Route = 'page' | 'events' | 'state';

function routeOf(url: string, basePath: string): Route | undefined {
  const path = url.split('?')[0] ?? '/';
  if (basePath !== '' && path !== basePath && !path.startsWith(`${basePath}/`)) return undefined;
  const rest = path.slice(basePath.length);
  if (rest === '' || rest === '/') return 'page';
  if (rest === '/events') return 'events';
  if (rest === '/state.json') return 'state';
  return undefined;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
