// Public entry of the component catalog: the data (CATALOG, one entry per service module of the registry in
// operator/src/services), its shapes and small lookup helpers.
import type { Catalog, ComponentDefinition, StepDefinition } from './types.js';

export * from './types.js';
export { MEASURED, measuredSeconds, withMeasuredDurations, type Measurement, type MeasuredStep } from './measured.js';
export { CATALOG } from '../services/registry.js';

/** `${component}-${step}`, the prefix of every unit id of that step (e.g. "nova-db-sync"). */
export function stepKey(component: string, step: string): string {
  return `${component}-${step}`;
}

/** Unit id of a step on a site (or `global`): `${component}-${step}@${site}`. */
export function unitId(component: string, step: string, site: string): string {
  return `${stepKey(component, step)}@${site}`;
}

export function findComponent(catalog: Catalog, name: string): ComponentDefinition | undefined {
  return catalog.find((c) => c.name === name);
}

export function findStep(catalog: Catalog, component: string, step: string): StepDefinition | undefined {
  return findComponent(catalog, component)?.steps.find((s) => s.id === step);
}

/** Expected seconds of a step for a backend (per-backend tables fall back to `default`, then 30). */
export function expectedSecondsFor(step: StepDefinition, backend: string | undefined): number {
  const e = step.expectedSeconds;
  if (typeof e === 'number') return e;
  return (backend !== undefined ? e[backend] : undefined) ?? e['default'] ?? 30;
}
