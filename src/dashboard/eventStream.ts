import type { ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';

/**
 * Streams `states$` to one response as Server-Sent Events: one `data:` message per state, then an
 * `end` event when it completes (the page stops reconnecting). Returns the subscription, ended when
 * the client goes away.
 */
export function streamEvents<T>(res: ServerResponse, states$: Observable<T>): Subscription {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const subscription = states$.subscribe({
    next: (state) => {
      res.write(`data: ${JSON.stringify(state)}\n\n`);
    },
    complete: () => {
      res.end('event: end\ndata: {}\n\n');
    },
    error: () => {
      res.end();
    },
  });
  res.on('close', () => subscription.unsubscribe());
  return subscription;
}
