import type { Provider } from '../types.js';

/**
 * Typed identity for providers: lets TypeScript infer the name (as a literal type), the payload
 * type (from the handler's `task` parameter) and the result type (from what the handler returns:
 * a Promise's value, an Observable's values, or the value itself). A manager created with the
 * provider carries these to `run`, `submit` and `command`.
 *
 * @example
 * ```ts
 * import { defineProvider, type Task } from 'smt-rx';
 *
 * const ssr = defineProvider({
 *   name: 'ssr',
 *   servers: ['http://node-1:3000', 'http://node-2:3000'],
 *   handle: (task: Task<{ path: string }>, ctx) =>
 *     fetch(`${ctx.server}${task.payload.path}`, { signal: ctx.signal }).then((res) => res.text()),
 * });
 * // ssr: Provider<{ path: string }, string, 'ssr'>
 * ```
 * @since 0.1.0
 */
export function defineProvider<const N extends string, P, R>(provider: Provider<P, R, N>): Provider<P, R, N> {
  return provider;
}
