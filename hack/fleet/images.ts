// Images the fleet's real nodes run (pause, CoreDNS, the local-path provisioner and its helper, the operator), from
// the image manifest `npm run images` writes (hack/images/manifest.ts); nodes import them into containerd.
import { existsSync } from 'node:fs';
import {
  LOCAL_REGISTRY,
  imageEntry,
  imageRef,
  openstackGroupTag,
  openstackImages,
  readImageManifest,
  type ImageEntry,
} from '../images/manifest.js';

/** Images every real node needs; the management cluster's node also runs the operator. */
export const NODE_IMAGES = ['pause', 'coredns', 'local-path-provisioner', 'toolbox'] as const;

export function fleetImageRef(name: string): string {
  return imageRef(name);
}

export function fleetImageArchives(role: 'management' | 'member'): { ref: string; archive: string }[] {
  const entries = readImageManifest();
  const want: string[] = [...NODE_IMAGES, ...(role === 'management' ? ['discovery-operator'] : [])];
  return want.map((n) => {
    const e = imageEntry(n, entries);
    return { ref: e.ref, archive: e.archive };
  });
}

/** What importOpenStackImages did on one node. */
export interface OpenStackImport {
  tag: string;
  imported: string[];
  seconds: number;
}

/**
 * Imports the OpenStack images `names` (all of the group when omitted) into a real node's containerd and tags each
 * `localhost/discovery/<name>:<group tag>` — the tag a DistributedCloud's spec.images names. Only what the node
 * lacks is imported (2-3 min for the whole group on this machine; layers shared between images are stored once).
 */
/** The OpenStack images a centralized control plane runs at the core site. */
export const OPENSTACK_CONTROL_IMAGES = [
  'mariadb-server',
  'rabbitmq',
  'memcached',
  'keystone',
  'kolla-toolbox',
  'glance-api',
  'placement-api',
  'nova-api',
  'nova-conductor',
  'nova-scheduler',
  'neutron-server',
] as const;

/** The OpenStack images a compute site runs: the hypervisor pod. */
export const OPENSTACK_COMPUTE_IMAGES = ['nova-compute', 'nova-libvirt'] as const;

export async function importOpenStackImages(
  ctr: (args: string[]) => Promise<string>,
  names?: readonly string[],
  entries: ImageEntry[] = readImageManifest(),
): Promise<OpenStackImport> {
  const t0 = Date.now();
  const tag = openstackGroupTag(entries);
  const group = openstackImages(entries);
  const wanted = (names ?? group.map((e) => e.name)).map((n) => {
    const e = group.find((x) => x.name === n);
    if (!e) throw new Error(`OpenStack image '${n}' is not built: run npm run images -- --group openstack`);
    return e;
  });
  const present = new Set((await ctr(['images', 'ls', '-q'])).split('\n').map((l) => l.trim()));
  const imported: string[] = [];
  for (const e of wanted) {
    const alias = `${LOCAL_REGISTRY}/${e.name}:${tag}`;
    if (present.has(alias)) continue;
    if (!present.has(e.ref)) {
      if (!existsSync(e.archive))
        throw new Error(`image archive ${e.archive} is missing: run npm run images -- --group openstack`);
      await ctr(['images', 'import', '--snapshotter', 'overlayfs', e.archive]);
      imported.push(e.name);
    }
    await ctr(['images', 'tag', '--force', e.ref, alias]);
  }
  return { tag, imported, seconds: (Date.now() - t0) / 1000 };
}
