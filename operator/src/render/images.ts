// Container image references of OpenStack services: Kolla images whose tag follows the OpenStack release. The releases
// listed here are the ones the renderers support — the API schema accepts exactly these. Backends pin their own images
// in their service modules; overrides (spec.services.X.image < siteOverrides images) are applied by the modules.
// spec.images moves every Kolla image to another registry/prefix and tag at once (e.g. images built locally).
import type { DistributedCloud } from '../api/types.js';
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

/**
 * Releases whose oslo.messaging has no AMQP 1.0 driver any more (removed in 2025.1 "Epoxy"): a Qpid Dispatch Router
 * bus cannot work with them, so the API refuses the combination.
 */
export const RELEASES_WITHOUT_AMQP1: readonly string[] = ['2025.1', '2025.2'];

export function kollaTag(release: string): string {
  const base = (SUPPORTED_RELEASES as Record<string, string>)[release];
  if (!base)
    throw new RenderError(
      `unsupported OpenStack release "${release}" (known: ${Object.keys(SUPPORTED_RELEASES).join(', ')})`,
    );
  return `${release}-${base}`;
}

/** The upstream Kolla image of the release, e.g. kollaImage('nova-api', '2024.1'). */
export function kollaImage(name: string, release: string): string {
  return `${KOLLA_REGISTRY}/${name}:${kollaTag(release)}`;
}

/** Registry/prefix and tag of a DC's Kolla images: spec.images, else upstream Kolla's for the release. */
export function imageSource(dc: Pick<DistributedCloud, 'spec'>): { registry: string; tag: string } {
  return {
    registry: dc.spec.images?.registry ?? KOLLA_REGISTRY,
    tag: dc.spec.images?.tag ?? kollaTag(dc.spec.release),
  };
}

/** The Kolla image `name` of a DistributedCloud: `<registry>/<name>:<tag>` per spec.images (default upstream). */
export function dcImage(dc: Pick<DistributedCloud, 'spec'>, name: string): string {
  const { registry, tag } = imageSource(dc);
  return `${registry}/${name}:${tag}`;
}

/** A backend's image: a bare Kolla image name goes through dcImage; a full reference (with a "/") is used as is. */
export function backendImage(dc: Pick<DistributedCloud, 'spec'>, image: string): string {
  return image.includes('/') ? image : dcImage(dc, image);
}
