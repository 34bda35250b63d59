// Shapes used by the renderers: the render context (DC, sites, plan and its index, generated secrets, the service
// registry) and plain Kubernetes objects. Renderers are pure: same context and unit in, byte-identical objects out.
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import type { PlanIndex } from '../planner/plan-index.js';
import type { Plan, Unit } from '../planner/types.js';
import type { Registry } from '../services/module.js';

/** A Kubernetes object as plain JSON (apiVersion/kind/metadata plus whatever the kind carries). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Generated credentials: secret name -> key -> value. An INPUT of rendering; renderers only read it. */
export type GeneratedSecrets = Record<string, Record<string, string>>;

/** What a caller supplies to render a plan (createRenderContext adds the rest). */
export interface RenderInput {
  dc: DistributedCloud;
  sites: Map<string, EdgeSite>;
  plan: Plan;
  secrets: GeneratedSecrets;
  /** The service modules; default the built-in registry (operator/src/services/registry.ts). */
  registry?: Registry;
  /**
   * NodePorts of the live `<svc>-wan` Services that expose Services to other sites, keyed `<site>/<svc>/<port>`
   * (render/endpoints.ts exposedKey), as the operator reads them back. Absent when rendering without live state
   * (the CLI): cross-site addresses are then placeholders under `.nodeport.invalid`.
   */
  exposed?: ReadonlyMap<string, number>;
}

export interface RenderContext extends RenderInput {
  /** Lookups over `plan`, built once per context. */
  index: PlanIndex;
  registry: Registry;
}

/** Renders one unit (component/step at a site) into the objects applied to its target cluster. */
export type UnitRenderer = (unit: Unit, ctx: RenderContext) => K8sObject[];

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
