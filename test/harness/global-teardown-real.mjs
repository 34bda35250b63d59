// globalTeardown of the real-nodes project (a module of its own: see global-setup-real.mjs).
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { default: teardown } = await tsImport('./fleet-teardown.ts', import.meta.url);
  await teardown('real-nodes');
}
