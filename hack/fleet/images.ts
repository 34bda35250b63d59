// Images the fleet's real nodes run (pause, CoreDNS, the local-path provisioner and its helper, the operator), from
// the image manifest `npm run images` writes (hack/images/manifest.ts); nodes import them into containerd.
import { imageEntry, imageRef, readImageManifest } from '../images/manifest.js';

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
