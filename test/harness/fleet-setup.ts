// Fleet setup for integration tests (jest globalSetup via global-setup.mjs): reuse a healthy fleet, otherwise bring one up (and remember that we did,
// so fleet-teardown.ts stops it unless DISCOVERY_KEEP_FLEET=1); a partly running fleet is repaired and left running.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultFleetOptions, fleetStatus, fleetUp, type FleetOptions } from '../../hack/fleet/fleet.js';
import { realFleetOptions } from './fleet.js';

/** The fleet a jest project runs on: the real-node project has its own (mixed nodes), the others the kwok one. */
export function fleetOptionsFor(project: string | undefined): FleetOptions {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  return project === 'real-nodes' ? realFleetOptions({ log }) : defaultFleetOptions({ log });
}

export default async function globalSetup(project?: string): Promise<void> {
  const opts = fleetOptionsFor(project);
  const health = await fleetStatus(opts);
  const healthy = health.length === opts.edges + 1 && health.every((h) => h.ready);
  if (healthy) {
    process.stderr.write(`\n[fleet] reusing the running fleet (${health.map((h) => h.name).join(', ')})\n`);
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
  await fleetUp(opts);
}
