// Cross-site exposure: one unit per site holding the NodePort Services (`<svc>-wan`) through which other sites, and
// users of the public API endpoints, reach that site's Services. What a site exposes is exactly what the other units
// of the plan consume across sites or register as public catalog endpoints (recorded while they render, see
// render/endpoints.ts): nothing else of a site is reachable from the WAN. The unit has no dependencies, so the API
// servers allocate the nodePorts at the first reconcile; the operator reads them back from the live Services and
// renders the consumers with `<site address>:<nodePort>`. A `-wan` Service selects the same pods as the Service it
// exposes, so the exposed Service's own unit keeps its ClusterIP Service untouched.
import {
  EXPOSED_SUFFIX,
  EXPOSURE_COMPONENT,
  EXPOSURE_STEP,
  applySite,
  recordedExposures,
} from '../render/endpoints.js';
import { selectorLabels } from '../render/labels.js';
import type { K8sObject, RenderContext, UnitRenderer } from '../render/types.js';
import { CELL_LOCAL } from '../catalog/steps.js';
import { defineBackend } from './module.js';

/** Units whose renderer ran in this context (renderUnit marks them): what the exposures were recorded from. */
const renderedUnits = new WeakMap<RenderContext, Set<string>>();

/** Marks a unit as rendered in `ctx` (called by renderUnit). */
export function markRendered(ctx: RenderContext, unitId: string): void {
  let set = renderedUnits.get(ctx);
  if (!set) renderedUnits.set(ctx, (set = new Set()));
  set.add(unitId);
}

/**
 * Renders, once per context, every unit not rendered yet (their objects are dropped: only the exposures they record
 * matter). Renderers that render the whole plan render exposure units last, so this usually has nothing to do.
 */
function recordEveryConsumer(ctx: RenderContext): void {
  const done = renderedUnits.get(ctx) ?? new Set<string>();
  for (const u of ctx.plan.units) {
    if (u.component === EXPOSURE_COMPONENT || done.has(u.id)) continue;
    markRendered(ctx, u.id);
    try {
      ctx.registry.renderer(u.component, u.step)?.(u, ctx);
    } catch {
      // a unit that cannot render yet (waiting for an address, or broken) still recorded what it reached for
    }
  }
}

const nodeports: UnitRenderer = (unit, ctx) => {
  recordEveryConsumer(ctx);
  const site = applySite(unit);
  const exposures = recordedExposures(ctx).get(site);
  if (!exposures) return [];
  const out: K8sObject[] = [];
  for (const name of [...exposures.keys()].sort()) {
    const { ref, ports } = exposures.get(name)!;
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}${EXPOSED_SUFFIX}` },
      spec: {
        type: 'NodePort',
        selector: selectorLabels(ctx, ref.component, ref.step, site),
        ports: [...ports]
          .sort((a, b) => a - b)
          .map((port) => ({ name: `tcp-${port}`, port, targetPort: port, protocol: 'TCP' })),
      },
    });
  }
  return out;
};

export const exposure = defineBackend({
  component: {
    name: EXPOSURE_COMPONENT,
    description: "NodePort Services exposing a site's Services to the other sites and its public API endpoints",
    enabled: () => true,
    steps: [
      {
        id: EXPOSURE_STEP,
        kind: 'config',
        expectedSeconds: 1,
        // the sites hosting Services others consume: the core, and every cell's / site's control plane
        placement: CELL_LOCAL,
        dependsOn: [],
        description: 'NodePort Services (<svc>-wan) for what other sites consume and the public endpoints',
      },
    ],
  },
  renderers: { [EXPOSURE_STEP]: nodeports },
  secrets: [],
  ports: {},
  serviceNames: {},
  images: {},
  uids: {},
});
