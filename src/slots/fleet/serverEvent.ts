import type { LimitReason } from '../adaptive/limitAlgorithm.js';

export interface ServerEventBase {
  /** The budget key concerned (a server's own key when it has its own budget). */
  readonly budget: string;
  /** The scheduler's `now()` when it happened. */
  readonly at: number;
}

/** What adaptive limits and health checks do, as a union on `type` (`manager.serverEvents$`). */
export type ServerEvent =
  /** An adaptive limit moved. `cap` is the hard cap in force. */
  | (ServerEventBase & { readonly type: 'limit-changed'; readonly from: number; readonly to: number; readonly cap: number; readonly reason: LimitReason })
  /** No new attempts start on it until `until`; then one probe decides. */
  | (ServerEventBase & {
      readonly type: 'server-ejected';
      readonly reason: 'failures' | 'probe-failed';
      /** Failed or timed-out attempts in a row that led to it. */
      readonly failures: number;
      readonly until: number;
    })
  /** The probe succeeded: it takes work again. */
  | (ServerEventBase & { readonly type: 'server-restored'; readonly reason: 'probe-succeeded' });
