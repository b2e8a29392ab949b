/* p-queue */
export { SmtPriorityQueue } from './smtPriorityQueue.js';
export type { RunFunction, PQueueEnqueueOptions } from './smtPriorityQueue.js';
