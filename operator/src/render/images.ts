// Container image references of OpenStack services: Kolla images whose tag follows the OpenStack release. The releases
// listed here are the ones the renderers support — the API schema accepts exactly these. Backends pin their own images
// in their service modules; overrides (spec.services.X.image < siteOverrides images) are applied by the modules.
import { RenderError } from './types.js';

export const KOLLA_REGISTRY = 'quay.io/openstack.kolla';

/** Supported OpenStack release series → Kolla base distribution (Kolla moved to Ubuntu Noble with 2024.2). */
export const SUPPORTED_RELEASES = {
  '2023.1': 'ubuntu-jammy',
  '2023.2': 'ubuntu-jammy',
  '2024.1': 'ubuntu-jammy',
  '2024.2': 'ubuntu-noble',
  '2025.1': 'ubuntu-noble',
  '2025.2': 'ubuntu-noble',
} as const satisfies Record<string, string>;

export function kollaTag(release: string): string {
  const base = (SUPPORTED_RELEASES as Record<string, string>)[release];
  if (!base)
    throw new RenderError(
      `unsupported OpenStack release "${release}" (known: ${Object.keys(SUPPORTED_RELEASES).join(', ')})`,
    );
  return `${release}-${base}`;
}

/** A Kolla image of the release, e.g. kollaImage('nova-api', '2024.1'). */
export function kollaImage(name: string, release: string): string {
  return `${KOLLA_REGISTRY}/${name}:${kollaTag(release)}`;
}
