// Renderers' entry points: the registry keyed by `${component}/${step}`, renderUnit (pure), the per-site Namespace,
// the management-side objects, and renderPlan/toYaml used by the CLI and the operator.
import { dump } from 'js-yaml';
import type { Unit } from '../planner/types.js';
import { databaseRenderers } from './components/database.js';
import { glanceRenderers } from './components/glance.js';
import { keystoneRenderers } from './components/keystone.js';
import { kvStoreRenderers } from './components/kvstore.js';
import { memcachedRenderers } from './components/memcached.js';
import { messageBusRenderers } from './components/messagebus.js';
import { novaRenderers } from './components/nova.js';
import { placementRenderers } from './components/placement.js';
import { applySite } from './endpoints.js';
import { secretOf } from './k8s.js';
import {
  ANNOTATION_UNIT,
  LABEL_DC,
  LABEL_SITE,
  MANAGED_BY,
  PART_OF,
  finalizeObject,
  labelValue,
  targetNamespace,
  unitLabels,
} from './labels.js';
import { RenderError, type GeneratedSecrets, type K8sObject, type RenderContext, type UnitRenderer } from './types.js';

export * from './types.js';
export {
  requiredSecrets,
  generateMissingSecrets,
  missingSecrets,
  type RequiredSecret,
  type RandomBytes,
} from './secrets.js';

/** Every renderer, keyed by `${component}/${step}` (the catalog's ids). */
export const RENDERERS: Readonly<Record<string, UnitRenderer>> = {
  ...databaseRenderers,
  ...messageBusRenderers,
  ...kvStoreRenderers,
  ...memcachedRenderers,
  ...keystoneRenderers,
  ...glanceRenderers,
  ...placementRenderers,
  ...novaRenderers,
};

/** Renders one unit into the objects applied to its target site's cluster. Pure and deterministic. */
export function renderUnit(unit: Unit, ctx: RenderContext): K8sObject[] {
  const renderer = RENDERERS[`${unit.component}/${unit.step}`];
  if (!renderer) throw new RenderError(`no renderer for ${unit.component}/${unit.step} (unit ${unit.id})`);
  const labels = unitLabels(ctx, unit);
  const ns = targetNamespace(ctx);
  return renderer(unit, ctx).map((o) => finalizeObject(o, labels, { [ANNOTATION_UNIT]: unit.id }, ns));
}

function baseLabels(ctx: RenderContext): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/instance': labelValue(ctx.dc.metadata.name ?? 'discovery'),
    [LABEL_DC]: labelValue(ctx.dc.metadata.name ?? 'discovery'),
  };
}

/**
 * The Namespace for a site's cluster (same name as the DistributedCloud's namespace). Pod Security admission enforces
 * "restricted", except on sites running nova-compute, whose hypervisor pods need "privileged".
 */
export function renderNamespace(ctx: RenderContext, site: string): K8sObject {
  const compute = ctx.plan.units.some((u) => applySite(u) === site && u.component === 'nova' && u.step === 'compute');
  const level = compute ? 'privileged' : 'restricted';
  return finalizeObject(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: targetNamespace(ctx),
        labels: {
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': level,
        },
      },
    },
    { ...baseLabels(ctx), 'app.kubernetes.io/name': 'namespace', [LABEL_SITE]: labelValue(site) },
    {},
  );
}

/** Name of the management-cluster Secret holding the generated credentials of a DistributedCloud. */
export function generatedSecretsName(ctx: RenderContext): string {
  return `${ctx.dc.metadata.name ?? 'discovery'}-generated-secrets`;
}

/** Management-side objects: the generated-secrets Secret (keys `<secret>.<key>`), in the DC's namespace. */
export function renderManagementObjects(ctx: RenderContext): K8sObject[] {
  const data: Record<string, string> = {};
  for (const name of Object.keys(ctx.secrets).sort()) {
    for (const key of Object.keys(ctx.secrets[name]!).sort()) data[`${name}.${key}`] = ctx.secrets[name]![key]!;
  }
  const secret = secretOf(generatedSecretsName(ctx), data);
  return [
    finalizeObject(
      secret,
      { ...baseLabels(ctx), 'app.kubernetes.io/name': 'generated-secrets' },
      {},
      targetNamespace(ctx),
    ),
  ];
}

/** Reads generated secrets back from the management Secret's base64 `data` (inverse of renderManagementObjects). */
export function generatedSecretsFromData(data: Record<string, string> | undefined): GeneratedSecrets {
  const out: GeneratedSecrets = {};
  for (const [k, b64] of Object.entries(data ?? {})) {
    const dot = k.lastIndexOf('.');
    if (dot <= 0) continue;
    (out[k.slice(0, dot)] ??= {})[k.slice(dot + 1)] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return out;
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
  for (const unit of ctx.plan.units) {
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
