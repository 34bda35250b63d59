// THE registry of service modules: adding an OpenStack service or backend is one module in this directory plus one
// line below (then `npm run generate`, since spec.services lists every OpenStack service). Order matters: it is the
// catalog order, the tie-break order of units in tables, graphs and scheduling.
import type { ServiceName } from '../api/types.js';
import { MEASURED } from '../catalog/measured.js';
import { database } from './database.js';
import { exposure } from './exposure.js';
import { glance } from './glance.js';
import { keystone } from './keystone.js';
import { kvStore } from './kv-store.js';
import { memcached } from './memcached.js';
import { messageBus } from './message-bus.js';
import { createRegistry } from './module.js';
import { neutron } from './neutron.js';
import { nova } from './nova.js';
import { placement } from './placement.js';
import { smoke } from './smoke.js';

const MODULES = [
  exposure,
  database,
  messageBus,
  kvStore,
  memcached,
  keystone,
  glance,
  placement,
  neutron,
  nova,
  smoke,
] as const;

export const REGISTRY = createRegistry(MODULES, { measured: MEASURED });

/**
 * The catalog (operator/src/catalog): one entry per registered module, in registry order, with the measured step
 * durations of catalog/measured.ts in place of the modules' estimates.
 */
export const CATALOG = REGISTRY.catalog;

/** The registered OpenStack services; the API schema's spec.services and ServiceName come from this list. */
export const OPENSTACK_SERVICES: readonly string[] = REGISTRY.openStackServices;

/**
 * The opt-in OpenStack services, name → the API's description of their spec.services entry, which has no default
 * (deployed only when present).
 */
export const OPT_IN_SERVICES: Readonly<Record<string, string>> = REGISTRY.optInServices;

// The generated ServiceName (operator/src/api/types.ts) must name exactly the registered OpenStack services. An error
// here after adding or removing a module means: run `npm run generate` (and commit the regenerated files).
type RegisteredService = Extract<(typeof MODULES)[number], { kind: 'openstack-service' }>['component']['name'];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const SERVICE_NAMES_ARE_GENERATED: Same<RegisteredService, ServiceName> = true;
