// What a service module is: one OpenStack service or backend with everything Discovery knows about it together —
// its catalog entry (steps, placement, dependencies), one renderer per step, the generated credentials it needs, its
// ports, Service names, images and uids. `defineOpenStackService` / `defineBackend` make the compiler list what a
// new module is missing (a renderer per step, no renderer for an unknown step, every fact); `createRegistry` turns a
// list of modules into the catalog, the renderer lookup and the credentials a plan needs.
import { withMeasuredDurations, type Measurement } from '../catalog/measured.js';
import type { Catalog, ComponentDefinition } from '../catalog/types.js';
import type { Plan, Unit } from '../planner/types.js';
import type { RequiredSecret } from '../render/secrets.js';
import type { UnitRenderer } from '../render/types.js';

interface ModuleFacts<Name extends string, StepId extends string, Ports, Names> {
  /** The catalog entry: steps, placement per topology, dependencies (operator/src/catalog/types.ts). */
  component: ComponentDefinition<Name, StepId>;
  /** One renderer per step id of `component` (a missing or unknown step is a compile error). */
  renderers: Readonly<Record<NoInfer<StepId>, UnitRenderer>>;
  /** Generated credentials this component's renderers read (required whenever the plan has one of its units). */
  secrets: readonly RequiredSecret[];
  /** Steps whose pods need the `privileged` Pod Security level on their site's namespace (e.g. hypervisors). */
  privilegedSteps?: readonly NoInfer<StepId>[];
  /** Ports it listens on, by role (other modules reach it through these). */
  ports: Ports;
  /** Kubernetes Service names (identical on every member cluster), by role. */
  serviceNames: Names;
}

/** An OpenStack service: it appears in spec.services.<name> (enabled, replicas, image, config) and per site. */
export interface OpenStackServiceModule<
  Name extends string = string,
  StepId extends string = string,
  Ports extends Readonly<Record<string, number>> = Readonly<Record<string, number>>,
  Names extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
> extends ModuleFacts<Name, StepId, Ports, Names> {
  kind: 'openstack-service';
  /** Kolla images of the service's own containers, which spec.services.<name>.image replaces. */
  images: readonly string[];
  /** The uid its Kolla images run as (runAsUser, fsGroup). */
  uid: number;
  /**
   * Opt-in: deployed only when spec.services.<name> is present (the API gives it no default, where every other
   * service defaults to `{}`, i.e. enabled); the text is the API's description of spec.services.<name>. Its catalog
   * entry's `enabled` is then `serviceOptIn(name)`.
   */
  optIn?: string;
}

/** A backend (database, message bus, key/value store, cache): configured by its own spec section. */
export interface BackendModule<
  Name extends string = string,
  StepId extends string = string,
  Ports extends Readonly<Record<string, number>> = Readonly<Record<string, number>>,
  Names extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
  Images extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
> extends ModuleFacts<Name, StepId, Ports, Names> {
  kind: 'backend';
  /** Pinned upstream images, by role. */
  images: Images;
  /** The uid each image runs as, by the same roles. */
  uids: Readonly<Record<keyof Images, number>>;
}

export type ServiceModule = OpenStackServiceModule | BackendModule;

/** Declares an OpenStack service module; the literal types it keeps let other modules use its ports and names. */
export function defineOpenStackService<
  const Name extends string,
  const StepId extends string,
  const Ports extends Readonly<Record<string, number>>,
  const Names extends Readonly<Record<string, string>>,
>(
  module: Omit<OpenStackServiceModule<Name, StepId, Ports, Names>, 'kind'>,
): OpenStackServiceModule<Name, StepId, Ports, Names> {
  return { kind: 'openstack-service', ...module };
}

/** Declares a backend module. */
export function defineBackend<
  const Name extends string,
  const StepId extends string,
  const Ports extends Readonly<Record<string, number>>,
  const Names extends Readonly<Record<string, string>>,
  const Images extends Readonly<Record<string, string>>,
>(
  module: Omit<BackendModule<Name, StepId, Ports, Names, Images>, 'kind'>,
): BackendModule<Name, StepId, Ports, Names, Images> {
  return { kind: 'backend', ...module };
}

/** The modules Discovery deploys, as the planner, the renderers and the API see them. */
export interface Registry {
  readonly modules: readonly ServiceModule[];
  /** Catalog entries in registry order: the tie-break order of units everywhere (tables, graphs, scheduling). */
  readonly catalog: Catalog;
  /** Names of the OpenStack services, in registry order (the keys of spec.services). */
  readonly openStackServices: readonly string[];
  /** The opt-in OpenStack services (deployed only when spec.services.<name> is present): name → API description. */
  readonly optInServices: Readonly<Record<string, string>>;
  module(component: string): ServiceModule | undefined;
  renderer(component: string, step: string): UnitRenderer | undefined;
  /** Every generated credential the plan's components need, sorted by name (keys of a shared name merged). */
  requiredSecrets(plan: Pick<Plan, 'units'>): RequiredSecret[];
  /** Whether a unit's pods need the privileged Pod Security level. */
  privileged(unit: Pick<Unit, 'component' | 'step'>): boolean;
}

export interface RegistryOptions {
  /** Measured step durations replacing the modules' estimated expectedSeconds in the catalog (catalog/measured.ts). */
  measured?: Pick<Measurement, 'steps'>;
}

export function createRegistry(modules: readonly ServiceModule[], options: RegistryOptions = {}): Registry {
  const byName = new Map<string, ServiceModule>();
  for (const m of modules) {
    const name = m.component.name;
    if (byName.has(name)) throw new Error(`service module ${name} is registered twice`);
    byName.set(name, m);
    for (const step of m.component.steps)
      if (!(step.id in m.renderers)) throw new Error(`service module ${name} has no renderer for step ${step.id}`);
  }
  const catalog = modules.map((m) => m.component);
  return {
    modules,
    catalog: options.measured ? withMeasuredDurations(catalog, options.measured) : catalog,
    openStackServices: modules.filter((m) => m.kind === 'openstack-service').map((m) => m.component.name),
    optInServices: Object.fromEntries(
      modules.flatMap((m) => (m.kind === 'openstack-service' && m.optIn ? [[m.component.name, m.optIn]] : [])),
    ),
    module: (component) => byName.get(component),
    renderer: (component, step) => {
      const renderers = byName.get(component)?.renderers as Readonly<Record<string, UnitRenderer>> | undefined;
      return renderers !== undefined && Object.hasOwn(renderers, step) ? renderers[step] : undefined;
    },
    requiredSecrets(plan) {
      const components = new Set(plan.units.map((u) => u.component));
      const merged = new Map<string, RequiredSecret>();
      for (const m of modules) {
        if (!components.has(m.component.name)) continue;
        for (const s of m.secrets) {
          const seen = merged.get(s.name);
          merged.set(s.name, { name: s.name, keys: { ...seen?.keys, ...s.keys } });
        }
      }
      return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    privileged: (unit) =>
      (byName.get(unit.component)?.privilegedSteps as readonly string[] | undefined)?.includes(unit.step) ?? false,
  };
}
