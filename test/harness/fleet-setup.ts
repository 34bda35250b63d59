// Fleet setup for integration tests (jest globalSetup via global-setup.mjs): reuse a healthy fleet, otherwise bring one up (and remember that we did,
// so fleet-teardown.ts stops it unless DISCOVERY_KEEP_FLEET=1); a partly running fleet is repaired and left running.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  defaultFleetOptions,
  fleetDown,
  fleetStatus,
  fleetUp,
  hasRealNodes,
  type FleetOptions,
} from '../../hack/fleet/fleet.js';
import { openstackFleetOptions, realFleetOptions } from './fleet.js';

/** The fleet a jest project runs on: real-nodes (mixed nodes) and openstack (real nodes) have their own, the others the kwok one. */
export function fleetOptionsFor(project: string | undefined): FleetOptions {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  if (project === 'real-nodes') return realFleetOptions({ log });
  if (project === 'openstack') return openstackFleetOptions({ log });
  return defaultFleetOptions({ log });
}

export default async function globalSetup(project?: string): Promise<void> {
  const opts = fleetOptionsFor(project);
  const health = await fleetStatus(opts);
  const healthy = health.length === opts.edges + 1 && health.every((h) => h.ready);
  if (healthy && !hasRealNodes(opts)) {
    process.stderr.write(`\n[fleet] reusing the running fleet (${health.map((h) => h.name).join(', ')})\n`);
    return;
  }
  if (healthy) {
    // Real nodes hold what was imported and applied when they started: `up` again (idempotent, a few seconds)
    // imports images built since (a new operator image) and re-applies the add-ons.
    process.stderr.write(
      `\n[fleet] reusing the running fleet (${health.map((h) => h.name).join(', ')}); refreshing images and add-ons\n`,
    );
    await fleetUp(opts);
    return;
  }
  // Only a fleet this run creates from nothing is ours to tear down; a partly running one is repaired and left up.
  const marker = path.join(opts.dir, 'started-by-tests');
  if (health.length === 0) {
    mkdirSync(opts.dir, { recursive: true });
    writeFileSync(marker, `${process.pid}\n`);
    process.stderr.write('\n[fleet] starting the local fleet for integration tests\n');
  } else {
    process.stderr.write(
      `\n[fleet] repairing the running fleet (unhealthy: ${
        health
          .filter((h) => !h.ready)
          .map((h) => h.name)
          .join(', ') || 'missing clusters'
      })\n`,
    );
  }
  try {
    await fleetUp(opts);
  } catch (error) {
    // A fleet this run started and could not finish is removed (processes, namespaces, bridges, iptables rules), so
    // a failed start leaves nothing behind on the host; DISCOVERY_KEEP_FLEET=1 keeps it for a look.
    if (health.length === 0 && process.env.DISCOVERY_KEEP_FLEET !== '1') {
      process.stderr.write(`[fleet] start failed: ${(error as Error).message}\n[fleet] removing what was started\n`);
      await fleetDown(opts).catch((e: Error) => process.stderr.write(`[fleet] removal failed too: ${e.message}\n`));
    }
    throw error;
  }
}
