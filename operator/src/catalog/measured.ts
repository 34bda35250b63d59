// Measured step durations: start→Ready seconds of units in a real rollout, the one source of the catalog's expected
// durations for the steps they cover (the service modules' own `expectedSeconds` are estimates, used for the steps
// and backends never measured). Applied to the catalog by the registry (`createRegistry(modules, { measured })`),
// so the planner's critical path and makespan, `discovery plan`, the benches and the kwok delay profile of simulated
// fleets (render/simulated-durations.ts) all read the same numbers.
// (docs/research/openstack-2025.1-by-hand.md has earlier by-hand timings of the processes themselves; these are
// the operator's units, start→Ready, as a rollout sees them.)
//
// To refresh: run `npm run test:openstack` (it writes every unit's startedAt/readyAt, read from the unit ledger, to
// .fleet-openstack/results/centralized.json), read the seconds per step with
// `npm run discovery -- gantt -f .fleet-openstack/results/centralized.json --steps`, and replace the figures and
// the facts below.
import type { Catalog, ComponentDefinition, StepDefinition } from './types.js';

export interface MeasuredStep {
  component: string;
  step: string;
  /** The backend it was measured with (the step's other backends keep their estimates). */
  backend?: string;
  /** start→Ready seconds; the midpoint when the measurement is a range over several units of the step. */
  seconds: number;
  /** [min, max] seconds, when several units of the step (or several runs) were measured. */
  range?: readonly [number, number];
  note?: string;
}

export interface Measurement {
  /** When it was measured (ISO date). */
  date: string;
  /** The test or procedure that produced it. */
  where: string;
  machine: string;
  images: string;
  /** The DistributedCloud rolled out. */
  cloud: string;
  /** How each step's seconds were read. */
  method: string;
  /** Seconds from the DistributedCloud's creation to Ready in that run. */
  readySeconds: number;
  /** The planner's critical path for that cloud before these figures replaced the estimates. */
  estimateBeforeSeconds: number;
  steps: readonly MeasuredStep[];
}

const DB_CREATE = { seconds: 5.5, range: [5, 6], note: 'every db-create Job of the run took 5–6 s' } as const;
const DB_SYNC = {
  seconds: 12.25,
  range: [11, 13.5],
  note: 'the db-sync Jobs other than nova db-sync: 11–13.5 s',
} as const;
const KS_REGISTER = { seconds: 19.2, note: 'every ks-register Job of the run: about 19.2 s' } as const;

export const MEASURED: Measurement = {
  date: '2026-11-29',
  where: 'npm run test:openstack (test/openstack/centralized.test.ts): the operator under its Helm chart identity',
  machine: 'one real node (kubelet, containerd 2) of the local fleet on a 2-core VM',
  images: 'OpenStack 2025.1 from Debian trixie, Kolla image contract (npm run images -- --group openstack)',
  cloud: 'centralized, core site only: keystone, glance, placement, nova control plane, mariadb, rabbitmq, memcached',
  method: "readyAt − startedAt of each unit in the DistributedCloud's unit ledger (controllers/unit-ledger.ts)",
  readySeconds: 143.6,
  estimateBeforeSeconds: 300,
  steps: [
    { component: 'database', step: 'server', backend: 'mariadb', seconds: 16.7 },
    { component: 'message-bus', step: 'server', backend: 'rabbitmq', seconds: 21.6 },
    { component: 'memcached', step: 'server', seconds: 11.1 },
    { component: 'keystone', step: 'db-create', ...DB_CREATE },
    { component: 'keystone', step: 'db-sync', ...DB_SYNC },
    { component: 'keystone', step: 'bootstrap', seconds: 6.9 },
    { component: 'keystone', step: 'api', seconds: 17.2 },
    { component: 'glance', step: 'db-create', ...DB_CREATE },
    { component: 'glance', step: 'db-sync', ...DB_SYNC },
    { component: 'glance', step: 'ks-register', ...KS_REGISTER },
    { component: 'glance', step: 'api', seconds: 21.0 },
    { component: 'placement', step: 'db-create', ...DB_CREATE },
    { component: 'placement', step: 'db-sync', ...DB_SYNC },
    { component: 'placement', step: 'ks-register', ...KS_REGISTER },
    { component: 'placement', step: 'api', seconds: 19.5 },
    { component: 'nova', step: 'db-create', ...DB_CREATE },
    { component: 'nova', step: 'api-db-sync', ...DB_SYNC },
    { component: 'nova', step: 'map-cell0', seconds: 7.0 },
    { component: 'nova', step: 'create-cell', seconds: 9.0 },
    { component: 'nova', step: 'db-sync', seconds: 17.2 },
    { component: 'nova', step: 'ks-register', ...KS_REGISTER },
    { component: 'nova', step: 'api', seconds: 13.1 },
    {
      component: 'nova',
      step: 'conductor',
      seconds: 58.9,
      note: 'includes waiting out a crash loop (the conductor starts before it can reach its peers); ~30 s otherwise',
    },
    { component: 'nova', step: 'scheduler', seconds: 30.0 },
    { component: 'nova', step: 'discover-hosts', seconds: 18.1 },
    {
      component: 'nova',
      step: 'compute',
      seconds: 28.2,
      note: 'a later run of the same test (21:06 UTC) with the compute on edge-1: libvirt + nova-compute under QEMU/TCG, reaching the core through its NodePorts; that cloud was Ready 147.5 s after apply',
    },
    { component: 'smoke', step: 'cloud', seconds: 5.8 },
  ],
};

/** The measured seconds of a step (for `backend`, when the measurement names one), or undefined. */
export function measuredSeconds(
  measurement: Pick<Measurement, 'steps'>,
  component: string,
  step: string,
  backend?: string,
): number | undefined {
  return measurement.steps.find(
    (m) => m.component === component && m.step === step && (m.backend === undefined || m.backend === backend),
  )?.seconds;
}

/**
 * The catalog with every measured step's expected seconds replaced by its measurement: the whole step's, or only
 * the measured backend's entry of a per-backend table (the other backends keep their estimates). Pure; throws when
 * a measurement names a step the catalog does not have (a rename must not silently drop a figure).
 */
export function withMeasuredDurations(catalog: Catalog, measurement: Pick<Measurement, 'steps'>): Catalog {
  const used = new Set<MeasuredStep>();
  const out = catalog.map((component): ComponentDefinition => {
    const steps = component.steps.map((step): StepDefinition => {
      const ms = measurement.steps.filter((m) => m.component === component.name && m.step === step.id);
      if (ms.length === 0) return step;
      let expected = step.expectedSeconds;
      for (const m of ms) {
        used.add(m);
        if (m.backend === undefined) expected = m.seconds;
        else
          expected = {
            ...(typeof expected === 'number' ? { default: expected } : expected),
            [m.backend]: m.seconds,
          };
      }
      return { ...step, expectedSeconds: expected };
    });
    return { ...component, steps };
  });
  const unknown = measurement.steps.filter((m) => !used.has(m));
  if (unknown.length > 0)
    throw new Error(
      `measured durations name steps the catalog does not have: ${unknown.map((m) => `${m.component}/${m.step}`).join(', ')}`,
    );
  return out;
}
