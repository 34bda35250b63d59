// The one schema source of the discovery.beyondtheclouds.io API: every generated artefact starts from `resources`.
import { distributedCloud } from './distributedcloud.js';
import { edgeSite } from './edgesite.js';
import type { ResourceDefinition } from './dsl.js';

export { API_VERSION, GROUP, VERSION } from './common.js';
export { distributedCloud } from './distributedcloud.js';
export { edgeSite } from './edgesite.js';
export type { ResourceDefinition, Rule, SchemaNode } from './dsl.js';

/** Both resources, in a fixed order (generation is deterministic). */
export const resources: readonly ResourceDefinition[] = [edgeSite, distributedCloud];
