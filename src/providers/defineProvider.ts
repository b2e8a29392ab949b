import type { Provider } from '../types.js';

/**
 * Typed identity for providers: lets TypeScript infer the payload and result types of `handle`.
 *
 * ## Example
 * ```ts
 * const ssr = defineProvider({
 *   name: 'ssr',
 *   servers: ['http://node-1:3000', 'http://node-2:3000'],
 *   handle: async (task: Task<{ path: string }>, ctx) => render(ctx.server, task.payload.path, ctx.signal),
 * });
 * ```
 */
export function defineProvider<P, R>(provider: Provider<P, R>): Provider<P, R> {
  return provider;
}
