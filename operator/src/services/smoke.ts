// The verification step: once everything a site's control plane needs is Ready, a Job at that site asks the cloud
// itself, as its clients do (openstacksdk in kolla-toolbox, admin credentials): a token; each enabled service's
// endpoint in the site's region, from the catalog, answering; Neutron (when deployed) listing a device's ports, as nova
// does for every server view; nova's conductors and schedulers up; every compute service up is a resource provider in
// Placement. The DistributedCloud is Ready only when this unit is: Ready means "the cloud answers", not "pods are
// Ready". Its last line says what answered (the Job's log, and on failure the unit's message in status and
// `kubectl describe`).
import { CONTROL, dep, serviceEnabled } from '../catalog/steps.js';
import { applySite, regionOf } from '../render/endpoints.js';
import type { UnitRenderer } from '../render/types.js';
import { adminToolboxJob } from './keystone.js';
import { defineBackend } from './module.js';

/** Catalog service types of the OpenStack services, by spec.services name. */
export const SERVICE_TYPES: Readonly<Record<string, string>> = {
  keystone: 'identity',
  glance: 'image',
  placement: 'placement',
  neutron: 'network',
  nova: 'compute',
};

/** What one smoke Job checks, written as JSON next to the program. */
export interface SmokeCheck {
  region: string;
  /** Catalog service types that must answer. */
  services: string[];
  /** Nova binaries that must have at least one service up. */
  novaBinaries: string[];
}

export const SMOKE_PY = `#!/usr/bin/python3
"""Asks the cloud whether it answers, as a client would. Usage: smoke.py CHECK.json (region, service types, nova
binaries). Exits 1 naming what did not answer; the last line sums up what did."""
import json
import sys

import openstack


def main(path):
    with open(path, encoding="utf-8") as f:
        check = json.load(f)
    region = check["region"]
    conn = openstack.connect(region_name=region)
    conn.authorize()
    problems, answered = [], []
    for service_type in check["services"]:
        try:
            url = conn.session.get_endpoint(service_type=service_type, interface="internal", region_name=region)
        except Exception as e:  # keystoneauth raises EndpointNotFound and friends
            problems.append(f"{service_type}: no internal endpoint in region {region} ({e})")
            continue
        if not url:
            problems.append(f"{service_type}: no internal endpoint in region {region}")
            continue
        try:
            resp = conn.session.get(url, authenticated=False, raise_exc=False, timeout=30)
        except Exception as e:
            problems.append(f"{service_type}: {url} does not answer ({e})")
            continue
        if resp.status_code >= 500 or resp.status_code == 404:
            problems.append(f"{service_type}: {url} answered HTTP {resp.status_code}")
        else:
            answered.append(f"{service_type} {resp.status_code}")
    if "network" in check["services"] and not any(p.startswith("network:") for p in problems):
        # what nova asks Neutron for a server's show, list, delete, start and reboot: the ports of a device (a
        # neutron-server whose first database query it is answers 500 when nothing configured its mappers at start)
        try:
            ports = list(conn.network.ports(device_id="discovery-smoke"))
        except Exception as e:
            problems.append(f"network: listing a device's ports fails ({e})")
        else:
            answered.append(f"network ports of a device listed ({len(ports)})")
    computes = []
    if check["novaBinaries"] and not any(p.startswith("compute:") for p in problems):
        services = list(conn.compute.services())
        for binary in check["novaBinaries"]:
            up = [s for s in services if s.binary == binary and s.state == "up" and s.status == "enabled"]
            if not up:
                problems.append(f"compute: no {binary} is up")
            else:
                answered.append(f"{len(up)} {binary} up")
        computes = [s.host for s in services if s.binary == "nova-compute" and s.state == "up"]
        if computes:
            # a compute's resource provider is named after its hypervisor (libvirt's hostname), not its service host
            hypervisors = {}
            for h in conn.compute.hypervisors(details=True):
                host = (h.service_details or {}).get("host")
                if host:
                    hypervisors.setdefault(host, []).append(h.name)
            providers = {p.name for p in conn.placement.resource_providers()}
            missing = [h for h in computes if not any(n in providers for n in hypervisors.get(h, []))]
            if missing:
                problems.append(
                    f"placement: compute host(s) without a hypervisor resource provider: {', '.join(missing)}"
                )
            else:
                answered.append(f"{len(computes)} nova-compute up, each a resource provider")
    if problems:
        for p in problems:
            print(f"FAIL {p}", flush=True)
        sys.exit(1)
    print(f"cloud answers in region {region}: token, " + ", ".join(answered), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
`;

const cloud: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const services = Object.keys(SERVICE_TYPES).filter((s) => ctx.index.sitesHosting(s, 'api').length > 0);
  const check: SmokeCheck = {
    region: regionOf(ctx, site),
    services: services.map((s) => SERVICE_TYPES[s]!),
    novaBinaries: services.includes('nova') ? ['nova-conductor', 'nova-scheduler'] : [],
  };
  return adminToolboxJob(ctx, unit, 'smoke', SMOKE_PY, check);
};

export const smoke = defineBackend({
  component: {
    name: 'smoke',
    description: 'verification: the cloud answers its clients (token, catalog, every API, nova services up)',
    enabled: serviceEnabled('keystone'),
    steps: [
      {
        id: 'cloud',
        kind: 'job',
        expectedSeconds: 20,
        placement: CONTROL,
        dependsOn: [
          dep('keystone', 'api', 'same-site'),
          dep('keystone', 'endpoints', 'same-site'),
          dep('glance', 'api', 'same-site'),
          dep('glance', 'ks-register', 'same-site'),
          dep('placement', 'api', 'same-site'),
          dep('placement', 'ks-register', 'same-site'),
          dep('neutron', 'api', 'same-site'),
          dep('neutron', 'ks-register', 'same-site'),
          dep('nova', 'api', 'same-site'),
          dep('nova', 'conductor', 'same-site'),
          dep('nova', 'scheduler', 'same-site'),
          dep('nova', 'discover-hosts', 'same-site', { optional: true }),
        ],
        description: 'smoke Job: a token, every service of the catalog answering, nova services up',
      },
    ],
  },
  renderers: { cloud },
  secrets: [],
  ports: {},
  serviceNames: {},
  images: {},
  uids: {},
});
