// Jest loads globalTeardown outside its ESM transform pipeline, so this stub loads the TypeScript implementation with tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown(_globalConfig, projectConfig) {
  const { default: teardown } = await tsImport('./fleet-teardown.ts', import.meta.url);
  await teardown(projectConfig?.displayName?.name ?? projectConfig?.displayName);
}
