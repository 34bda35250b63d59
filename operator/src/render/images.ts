// Container image references: Kolla images for OpenStack services (tag follows the OpenStack release), and
// pinned upstream images for the backends. Overrides: DistributedCloud services.X.image < siteOverrides images.
import type { ServiceName } from '../api/types.js';
import { RenderError } from './types.js';

export const KOLLA_REGISTRY = 'quay.io/openstack.kolla';

/** Kolla base distribution per OpenStack series (Kolla moved to Ubuntu Noble with 2024.2). */
const KOLLA_BASE: Record<string, string> = {
  '2023.1': 'ubuntu-jammy',
  '2023.2': 'ubuntu-jammy',
  '2024.1': 'ubuntu-jammy',
  '2024.2': 'ubuntu-noble',
  '2025.1': 'ubuntu-noble',
  '2025.2': 'ubuntu-noble',
};

export function kollaTag(release: string): string {
  const base = KOLLA_BASE[release];
  if (!base)
    throw new RenderError(`unsupported OpenStack release "${release}" (known: ${Object.keys(KOLLA_BASE).join(', ')})`);
  return `${release}-${base}`;
}

/** Kolla image names used per OpenStack container. */
export type KollaImage =
  | 'keystone'
  | 'glance-api'
  | 'placement-api'
  | 'nova-api'
  | 'nova-conductor'
  | 'nova-scheduler'
  | 'nova-compute'
  | 'nova-libvirt'
  | 'kolla-toolbox';

export function kollaImage(name: KollaImage, release: string): string {
  return `${KOLLA_REGISTRY}/${name}:${kollaTag(release)}`;
}

/** Backend images, pinned by tag. */
export const BACKEND_IMAGES = {
  mariadb: 'docker.io/library/mariadb:11.4.4',
  cockroachdb: 'docker.io/cockroachdb/cockroach:v24.1.5',
  rabbitmq: 'docker.io/library/rabbitmq:3.13.7-management',
  qdrouterd: 'quay.io/interconnectedcloud/qdrouterd:1.19.0',
  redis: 'docker.io/library/redis:7.2.5',
  etcd: 'quay.io/coreos/etcd:v3.5.15',
  memcached: 'docker.io/library/memcached:1.6.29',
  /** Client image for DB-create Jobs against MariaDB/Galera (mariadb client) */
  mariadbClient: 'docker.io/library/mariadb:11.4.4',
} as const;

/** Default image for an OpenStack service's container, with the override chain applied by the caller. */
export function serviceImage(
  service: ServiceName,
  container: KollaImage,
  release: string,
  overrides: (string | undefined)[],
): string {
  // The override replaces the service's main image only; helper containers (e.g. nova-libvirt) keep Kolla's.
  const mainContainer: Record<ServiceName, KollaImage[]> = {
    keystone: ['keystone'],
    glance: ['glance-api'],
    placement: ['placement-api'],
    nova: ['nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute'],
  };
  let image = kollaImage(container, release);
  if (mainContainer[service].includes(container)) {
    for (const o of overrides) if (o) image = o;
  }
  return image;
}
