// Jest loads globalSetup outside its ESM transform pipeline, so this stub loads the TypeScript implementation with tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup(_globalConfig, projectConfig) {
  const { default: setup } = await tsImport('./fleet-setup.ts', import.meta.url);
  await setup(projectConfig?.displayName?.name ?? projectConfig?.displayName);
}
