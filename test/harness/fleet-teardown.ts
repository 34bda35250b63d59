// Fleet teardown (jest globalTeardown via global-teardown.mjs): stop the fleet if this run started it, unless DISCOVERY_KEEP_FLEET=1 asks to keep it.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fleetDown } from '../../hack/fleet/fleet.js';
import { fleetOptionsFor } from './fleet-setup.js';

export default async function globalTeardown(project?: string): Promise<void> {
  const opts = fleetOptionsFor(project);
  const marker = path.join(opts.dir, 'started-by-tests');
  if (!existsSync(marker)) return;
  if (process.env.DISCOVERY_KEEP_FLEET === '1') {
    process.stderr.write(
      '[fleet] DISCOVERY_KEEP_FLEET=1: leaving the fleet running (npm run fleet -- down stops it)\n',
    );
    rmSync(marker);
    return;
  }
  await fleetDown(opts);
  rmSync(marker, { force: true });
}
