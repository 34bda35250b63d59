// Renderers' entry points: the render context (plan index + service registry), renderUnit (pure: the unit's module
// renders it), the per-site Namespace, the management-side objects, and renderPlan/toYaml used by the CLI and the
// operator. The renderers themselves live with their service modules (operator/src/services).
import { dump } from 'js-yaml';
import { indexPlan } from '../planner/plan-index.js';
import type { Plan, Unit } from '../planner/types.js';
import type { Registry } from '../services/module.js';
import { markRendered } from '../services/exposure.js';
import { REGISTRY } from '../services/registry.js';
import { applySite, EXPOSURE_COMPONENT } from './endpoints.js';
import { dcLabels, generatedSecretsObject } from './generated-secrets.js';
import { allowsPrivileged } from '../planner/tenancy.js';
import {
  ANNOTATION_UNIT,
  LABEL_SITE,
  finalizeObject,
  labelValue,
  ownerLabels,
  targetNamespace,
  unitLabels,
} from './labels.js';
import type { RequiredSecret } from './secrets.js';
import { simulatedDurationsFactor, withSimulatedDuration } from './simulated-durations.js';
import { RenderError, type K8sObject, type RenderContext, type RenderInput } from './types.js';

export * from './types.js';
export { generateMissingSecrets, missingSecrets, type RequiredSecret, type RandomBytes } from './secrets.js';
export {
  addedSecrets,
  generatedSecretsFromData,
  generatedSecretsName,
  generatedSecretsObject,
} from './generated-secrets.js';

/** The render context of a plan: the input plus its index (built once) and the registry (default: the built-in). */
export function createRenderContext(input: RenderInput): RenderContext {
  return { ...input, index: indexPlan(input.plan), registry: input.registry ?? REGISTRY };
}

/** Every generated credential the plan's components need, sorted by name (each module lists its own). Pure. */
export function requiredSecrets(plan: Pick<Plan, 'units'>, registry: Registry = REGISTRY): RequiredSecret[] {
  return registry.requiredSecrets(plan);
}

/**
 * The plan's units in render order: the exposure units (services/exposure.ts) last, so the exposures every other
 * unit records while rendering are complete when they render.
 */
export function renderOrder<U extends Pick<Unit, 'component'>>(units: readonly U[]): U[] {
  const isExposure = (u: U) => u.component === EXPOSURE_COMPONENT;
  return [...units.filter((u) => !isExposure(u)), ...units.filter(isExposure)];
}

/**
 * Renders one unit into the objects applied to its target site's cluster. Pure and deterministic. Besides the
 * unit's own renderer: spec.images.pullPolicy on every container, and the kwok delay of the unit's simulated
 * duration on every pod template when the DistributedCloud asks for one (render/simulated-durations.ts).
 */
export function renderUnit(unit: Unit, ctx: RenderContext): K8sObject[] {
  const renderer = ctx.registry.renderer(unit.component, unit.step);
  if (!renderer) throw new RenderError(`no renderer for ${unit.component}/${unit.step} (unit ${unit.id})`);
  markRendered(ctx, unit.id);
  const labels = unitLabels(ctx, unit);
  const ns = targetNamespace(ctx, applySite(unit));
  const pullPolicy = ctx.dc.spec.images?.pullPolicy;
  const simulated = simulatedDurationsFactor(ctx.dc); // kwok fleets only: render/simulated-durations.ts
  return renderer(unit, ctx).map((o) => {
    let obj = pullPolicy ? withPullPolicy(o, pullPolicy) : o;
    if (simulated !== undefined) obj = withSimulatedDuration(obj, unit, simulated);
    return finalizeObject(obj, labels, { [ANNOTATION_UNIT]: unit.id }, ns);
  });
}

/** The object with every container of its pod template (Deployment, StatefulSet, DaemonSet, Job) on `policy`. */
function withPullPolicy(obj: K8sObject, policy: string): K8sObject {
  const podSpec = (obj.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  if (!podSpec) return obj;
  const set = (list: unknown) =>
    Array.isArray(list) ? list.map((c: Record<string, unknown>) => ({ ...c, imagePullPolicy: policy })) : list;
  const spec = { ...podSpec, containers: set(podSpec.containers) } as Record<string, unknown>;
  if (podSpec.initContainers) spec.initContainers = set(podSpec.initContainers);
  const template = { ...(obj.spec as { template: Record<string, unknown> }).template, spec };
  return { ...obj, spec: { ...(obj.spec as Record<string, unknown>), template } };
}

/**
 * The DistributedCloud's member Namespace on a site's cluster (render/labels.ts memberNamespace), labelled with its
 * owner (dc, dc-namespace, dc-uid) and site. Pod Security admission enforces "restricted", except on a site running a
 * unit whose module declares it privileged (nova-compute's hypervisor pods) when that EdgeSite allows privileged
 * workloads (spec.tenancy.allowPrivileged); where it does not, those units are refused, never applied.
 */
export function renderNamespace(ctx: RenderContext, site: string): K8sObject {
  const privileged =
    allowsPrivileged(ctx.sites.get(site)) && ctx.index.unitsOn(site).some((u) => ctx.registry.privileged(u));
  const level = privileged ? 'privileged' : 'restricted';
  return finalizeObject(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: targetNamespace(ctx, site),
        labels: {
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': level,
        },
      },
    },
    { ...dcLabels(ctx.dc, 'namespace'), ...ownerLabels(ctx.dc), [LABEL_SITE]: labelValue(site) },
    {},
  );
}

/** Management-side objects: the generated-secrets Secret (keys `<secret>.<key>`), in the DC's namespace. */
export function renderManagementObjects(ctx: RenderContext): K8sObject[] {
  return [generatedSecretsObject(ctx.dc, ctx.secrets)];
}

export interface RenderedFile {
  /** Path relative to the output directory, e.g. "edge-1/05-nova-compute.yaml". */
  path: string;
  /** Unit id the file holds, when it holds one. */
  unit?: string;
  objects: K8sObject[];
}

/** Dependency level of each unit id (from plan.levels). */
function levelOf(ctx: RenderContext): Map<string, number> {
  const m = new Map<string, number>();
  ctx.plan.levels.forEach((ids, i) => ids.forEach((id) => m.set(id, i)));
  return m;
}

/**
 * The whole DistributedCloud as files: `<site>/00-namespace.yaml`, `<site>/<NN>-<component>-<step>.yaml` (NN = unit's
 * dependency level + 1; a unit applied to another site's cluster (global units, per-cell Jobs the cells topology runs
 * at the core) lives in that site's directory with a `-<unit site>` suffix) and
 * `management/generated-secrets.yaml`. Sorted by path.
 */
export function renderPlan(ctx: RenderContext): RenderedFile[] {
  const levels = levelOf(ctx);
  const width = Math.max(2, String(ctx.plan.levels.length).length);
  const files: RenderedFile[] = [];
  const sites = new Set<string>();
  for (const unit of renderOrder(ctx.plan.units)) {
    const site = applySite(unit);
    sites.add(site);
    const nn = String((levels.get(unit.id) ?? 0) + 1).padStart(width, '0');
    const suffix = unit.site !== site ? `-${unit.site}` : '';
    files.push({
      path: `${site}/${nn}-${unit.component}-${unit.step}${suffix}.yaml`,
      unit: unit.id,
      objects: renderUnit(unit, ctx),
    });
  }
  for (const site of sites) {
    files.push({ path: `${site}/${'0'.repeat(width)}-namespace.yaml`, objects: [renderNamespace(ctx, site)] });
  }
  files.push({ path: 'management/generated-secrets.yaml', objects: renderManagementObjects(ctx) });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Multi-document YAML with sorted keys and no line folding: byte-identical for equal objects. */
export function toYaml(objects: K8sObject[]): string {
  return objects.map((o) => `---\n${dump(o, { sortKeys: true, lineWidth: -1, noRefs: true })}`).join('');
}
