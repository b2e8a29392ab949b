/* OpenTelemetry metrics */
export { instrument } from './instrument.js';
export type { InstrumentOptions, Instrumentation } from './instrument.js';
export type { ObservedManager } from '../types.js';
