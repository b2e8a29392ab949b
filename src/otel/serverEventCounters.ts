import type { Counter, Meter } from '@opentelemetry/api';
import type { ServerEvent } from '../types.js';

/**
 * The counters read from `serverEvents$`: adaptive limit moves by direction and reason (why a
 * limit moved: `probe`, `latency`, `errors`), ejections by reason (`failures`, `probe-failed`)
 * and restores, each with the budget key as its only other attribute.
 */
export function serverEventRecorder(meter: Meter, prefix: string): (event: ServerEvent) => void {
  const limitChanges: Counter = meter.createCounter(`${prefix}.budget.limit_changes`, {
    description: 'Moves of an adaptive limit, by direction (up, down) and reason (probe, latency, errors)',
    unit: '{change}',
  });
  const ejections: Counter = meter.createCounter(`${prefix}.budget.ejections`, {
    description: 'Budgets ejected by the health checks, by reason (failures, probe-failed)',
    unit: '{ejection}',
  });
  const restores: Counter = meter.createCounter(`${prefix}.budget.restores`, {
    description: 'Ejected budgets whose probe succeeded',
    unit: '{restore}',
  });
  return (event) => {
    const budget = event.budget;
    if (event.type === 'limit-changed') limitChanges.add(1, { budget, direction: event.to > event.from ? 'up' : 'down', reason: event.reason });
    else if (event.type === 'server-ejected') ejections.add(1, { budget, reason: event.reason });
    else restores.add(1, { budget });
  };
}
