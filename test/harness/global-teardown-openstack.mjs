// globalTeardown of the openstack project (a module of its own: see global-setup-real.mjs (same reason)).
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { default: teardown } = await tsImport('./fleet-teardown.ts', import.meta.url);
  await teardown('openstack');
}
