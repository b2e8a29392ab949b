/* Live dashboard */
export { dashboard } from './dashboard.js';
export type { DashboardOptions, DashboardHandler } from './dashboard.js';
export type { DashboardState, ProviderRow, BudgetRow, FailureRow } from './dashboardState.js';
export type { ObservedManager } from '../types.js';
