// globalSetup of the openstack project. Jest runs each distinct globalSetup module once, with the first project
// that names it: the real-node fleet needs a module of its own, or it would never start when projects run together.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { default: setup } = await tsImport('./fleet-setup.ts', import.meta.url);
  await setup('openstack');
}
