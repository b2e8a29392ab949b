/* Helpers for testing pipelines built on smt-rx in virtual time (TestScheduler). */
export { virtualWork } from './virtualWork.js';
export { virtualPromise } from './virtualPromise.js';
export type { VirtualPromiseOptions } from './virtualPromise.js';
