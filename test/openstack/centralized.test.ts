// A working OpenStack on real nodes, end to end: the OpenStack 2025.1 images built here (npm run images -- --group
// openstack) imported into the real nodes under one tag, the operator (chart identity) rolls out a centralized
// DistributedCloud whose spec.images names them — its control plane on the core site, nova-compute (libvirt, QEMU
// TCG) on edge-1, a cluster of its own reaching the core across the WAN bridge through the NodePorts the operator
// exposed and read back — and the cloud answers the OpenStack client run in a pod of the core site: a token, the
// catalog's four services each answering (their public endpoints from outside the fleet too), an image uploaded to
// Glance and downloaded byte-identical, nova's conductor, scheduler and the edge's compute up, the compute a
// resource provider in Placement; the product's own smoke Job said the same before Ready.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DistributedCloud } from '../../operator/src/api/types.js';
import { importOpenStackImages, OPENSTACK_COMPUTE_IMAGES, OPENSTACK_CONTROL_IMAGES } from '../../hack/fleet/images.js';
import { memberNamespace, startOpenStackClient, type OpenStackClient } from '../../hack/fleet/openstack-client.js';
import { nodeCtr } from '../../hack/fleet/fleet.js';
import { readGuestImage } from '../../hack/images/guest.js';
import { LOCAL_REGISTRY } from '../../hack/images/manifest.js';
import { openstackFleetOptions, testFleet } from '../harness/fleet.js';
import {
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  getDistributedCloud,
  installCrdsAndSites,
  startOperator,
  waitForReady,
  unitsOf,
  type OperatorProcess,
  type TestNamespace,
} from '../harness/operator.js';
import { kubectlIn } from '../harness/real.js';

const fleet = testFleet(openstackFleetOptions({ log: () => undefined }));
const mgmt = fleet.management;
const DC_NAME = 'cloud';
let ns: TestNamespace | undefined;
let operator: OperatorProcess | undefined;
let memberNs = '';
let tag = '';
const timings: Record<string, number> = {};

/** Prints the HTTP status of GET argv[1] (the toolbox has python3, not curl). */
const HTTP_STATUS = [
  'import sys, urllib.error, urllib.request',
  'try: print(urllib.request.urlopen(sys.argv[1], timeout=30).status)',
  'except urllib.error.HTTPError as x: print(x.code)',
].join('\n');

let client: OpenStackClient | undefined;

async function exec(script: string, timeoutMs = 300_000): Promise<string> {
  if (!client) throw new Error('no OpenStack client: the cloud did not become Ready');
  return client.exec(script, timeoutMs);
}

beforeAll(async () => {
  const imported = await importOpenStackImages(nodeCtr(fleet.options, 'mgmt'), OPENSTACK_CONTROL_IMAGES);
  const edge = await importOpenStackImages(nodeCtr(fleet.options, 'edge-1'), OPENSTACK_COMPUTE_IMAGES);
  tag = imported.tag;
  timings.importSeconds = Math.round((imported.seconds + edge.seconds) * 10) / 10;
  process.stderr.write(
    `[openstack] ${imported.imported.length + edge.imported.length} image(s) imported in ${timings.importSeconds}s, tag ${tag}\n`,
  );
  await installCrdsAndSites(fleet);
  operator = await startOperator({ fleet, scenario: 'openstack', extraArgs: ['--probe-interval', '5s'] });
  ns = await createTestNamespace(fleet, 'openstack');
  const dc: DistributedCloud = {
    apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
    kind: 'DistributedCloud',
    metadata: { name: DC_NAME, namespace: ns.name },
    spec: {
      release: '2025.1',
      topology: 'centralized',
      coreSite: 'core',
      sites: ['core', 'edge-1'],
      images: { registry: LOCAL_REGISTRY, tag, pullPolicy: 'Never' },
      // KVM hangs on this VM's paravirtual /dev/kvm: QEMU's TCG, the generic CPU model
      services: {
        keystone: {},
        glance: {},
        placement: {},
        nova: { config: { libvirt: { virt_type: 'qemu', cpu_mode: 'none' } } },
        // agent-less: the API nova asks about ports and security groups (servers boot without a NIC)
        neutron: {},
      },
      messageBus: { type: 'rabbitmq' },
      database: { type: 'mariadb', storageSize: '2Gi' },
      rollout: { unitTimeoutSeconds: 900 },
    },
  } as DistributedCloud;
  const t = Date.now();
  await createDistributedCloud(fleet, dc);
  await waitForReady(fleet, ns.name, DC_NAME, { timeoutMs: 1_500_000, operators: [operator] });
  timings.rolloutSeconds = (Date.now() - t) / 1000;
  process.stderr.write(`[openstack] DistributedCloud Ready after ${timings.rolloutSeconds}s\n`);
  // The member namespace the DC's objects live in (read back, not assumed), and the client pod there.
  const kubectl = (args: string[], timeoutMs?: number) => kubectlIn(mgmt, args, timeoutMs);
  memberNs = await memberNamespace(kubectl, DC_NAME);
  client = await startOpenStackClient({
    kubeConfig: mgmt.kubeConfig(),
    kubectl,
    namespace: memberNs,
    tag,
    region: 'paris',
  });
}, 1_900_000);

afterAll(async () => {
  const dir = path.join(fleet.options.dir, 'results');
  mkdirSync(dir, { recursive: true });
  const dc = ns ? await getDistributedCloud(fleet, ns.name, DC_NAME).catch(() => undefined) : undefined;
  // every unit's times are in the unit ledger (status lists only the units not Ready)
  const units = dc ? [...(await unitsOf(fleet, dc).catch(() => new Map())).values()] : [];
  writeFileSync(path.join(dir, 'centralized.json'), `${JSON.stringify({ timings, units }, null, 2)}\n`);
  await finishScenario(fleet, ns, operator);
}, 600_000);

describe('a centralized cloud on a real node answers the OpenStack client', () => {
  test("the product's smoke Job ran before Ready and says the cloud answers", async () => {
    const jobs = await kubectlIn(mgmt, ['get', 'jobs', '-n', memberNs, '-o', 'name']);
    const smoke = jobs.split('\n').find((j) => j.includes('/smoke-'));
    expect(smoke).toBeDefined();
    const log = await kubectlIn(mgmt, ['logs', '-n', memberNs, smoke!]);
    expect(log).toMatch(
      /cloud answers in region paris: token, identity \d+, image \d+, placement \d+, network \d+, compute \d+/,
    );
    expect(log).toContain('network ports of a device listed');
    expect(log).toContain('1 nova-compute up, each a resource provider');
    expect(log).toContain('nova-conductor up');
    expect(log).toContain('nova-scheduler up');
  });

  test('a token, and a catalog listing identity, image, placement, compute and network, each answering', async () => {
    expect((await exec('openstack token issue -f value -c id')).trim()).toMatch(/^gA/); // a Fernet token
    const catalog = JSON.parse(await exec('openstack catalog list -f json')) as {
      Type: string;
      Endpoints: { interface: string; url: string; region: string }[];
    }[];
    expect(catalog.map((c) => c.Type).sort()).toEqual(['compute', 'identity', 'image', 'network', 'placement']);
    for (const c of catalog) {
      const internal = c.Endpoints.find((e) => e.interface === 'internal' && e.region === 'paris');
      expect(internal?.url).toContain(`.${memberNs}.svc:`);
      const code = (await exec(`python3 -c '${HTTP_STATUS}' ${internal!.url}`)).trim();
      expect(Number(code)).toBeGreaterThanOrEqual(200);
      expect(Number(code)).toBeLessThan(400);
    }
  });

  test('an image uploaded to Glance comes back byte-identical', async () => {
    const out = await exec(
      [
        'head -c 1048576 /dev/urandom > /tmp/in',
        'openstack image create --disk-format raw --container-format bare --file /tmp/in e2e-image -f value -c id >/dev/null',
        'openstack image save --file /tmp/out e2e-image',
        'sha256sum /tmp/in /tmp/out',
      ].join(' && '),
    );
    const [sent, got] = out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(sent).toMatch(/^[0-9a-f]{64}$/);
    expect(got).toBe(sent);
  });

  test("nova's conductor, scheduler and the edge's compute are up; the compute is a resource provider", async () => {
    const services = JSON.parse(await exec('openstack compute service list -f json')) as {
      Binary: string;
      Host: string;
      State: string;
    }[];
    for (const binary of ['nova-conductor', 'nova-scheduler'])
      expect(services.some((s) => s.Binary === binary && s.State === 'up')).toBe(true);
    const computes = services.filter((s) => s.Binary === 'nova-compute');
    // one compute, on edge-1's node, named <site>-<node> (not the machine's hostname, which every node here shares)
    expect(computes.map((c) => [c.Host.startsWith('edge-1-'), c.State])).toEqual([[true, 'up']]);
    // its hypervisor (named by libvirt after the machine) is the one resource provider
    const hypervisors = JSON.parse(await exec('openstack hypervisor list -f json')) as {
      'Hypervisor Hostname': string;
      State: string;
    }[];
    expect(hypervisors.map((h) => h.State)).toEqual(['up']);
    const providers = (await exec('openstack resource provider list -f value -c name')).trim().split('\n');
    expect(providers).toEqual([hypervisors[0]!['Hypervisor Hostname']]);
    expect(JSON.parse(await exec('openstack server list -f json'))).toEqual([]);
  });

  test("the public endpoints answer from outside the fleet, at the core's node address and the -wan nodePorts", async () => {
    const catalog = JSON.parse(await exec('openstack catalog list -f json')) as {
      Type: string;
      Endpoints: { interface: string; url: string; region: string }[];
    }[];
    const coreAddress = (await kubectlIn(mgmt, ['get', 'edgesite', 'core', '-o', 'jsonpath={.status.address}'])).trim();
    expect(coreAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const c of catalog) {
      const url = c.Endpoints.find((e) => e.interface === 'public')!.url;
      expect(url).toMatch(new RegExp(`^http://${coreAddress.replace(/\./g, '\\.')}:3\\d{4}(/|$)`));
      // this test process runs on the host, outside every cluster: only the WAN path reaches the node address
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(500);
    }
  });
});

describe('a server boots on the edge site', () => {
  test('the test guest, uploaded to Glance, boots on edge-1: ACTIVE, the guest booted, then deleted', async () => {
    const guest = readGuestImage();
    const files = [guest.kernel, guest.ramdisk, guest.disk];
    for (const f of files)
      await kubectlIn(mgmt, ['cp', f.path, `${memberNs}/osclient:/tmp/${path.basename(f.path)}`], 300_000);
    const [kernel, ramdisk, disk] = files.map((f) => `/tmp/${path.basename(f.path)}`);
    const props = Object.entries(guest.disk.properties)
      .map(([k, v]) => `--property ${k}='${v}'`)
      .join(' ');
    const created = await exec(
      [
        'set -e',
        `k=$(openstack image create --disk-format ${guest.kernel.diskFormat} --container-format ${guest.kernel.containerFormat} --file ${kernel} guest-kernel -f value -c id)`,
        `r=$(openstack image create --disk-format ${guest.ramdisk.diskFormat} --container-format ${guest.ramdisk.containerFormat} --file ${ramdisk} guest-ramdisk -f value -c id)`,
        `openstack image create --disk-format ${guest.disk.diskFormat} --container-format ${guest.disk.containerFormat} --file ${disk} --property kernel_id=$k --property ramdisk_id=$r ${props} guest >/dev/null`,
        'openstack flavor create --vcpus 1 --ram 128 --disk 1 tiny >/dev/null',
        // no Neutron port: the guest needs none (API microversion 2.37 allows networks "none")
        'openstack --os-compute-api-version 2.37 server create --flavor tiny --image guest --nic none --wait guest-1 -f value -c status',
        'openstack server show guest-1 -f value -c id',
        "openstack server show guest-1 -f value -c 'OS-EXT-SRV-ATTR:host'",
      ].join('\n'),
      600_000,
    );
    const [status, id, host] = created.trim().split('\n');
    expect(status).toBe('ACTIVE');
    expect(host).toMatch(/^edge-1-/);
    // The guest's serial console, as QEMU writes it on edge-1's compute node. (Nova's console-log API answered
    // empty for this pty-with-log console on this fleet: not covered yet, see the issue notes.)
    const edge = fleet.cluster('edge-1');
    const edgeNs = await memberNamespace((args, t) => kubectlIn(edge, args, t), DC_NAME, 'ds');
    let consoleLog = '';
    for (let i = 0; i < 60 && !consoleLog.includes(guest.marker); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 5000));
      consoleLog = await kubectlIn(edge, [
        'exec',
        '-n',
        edgeNs,
        'ds/nova-compute',
        '-c',
        'nova-libvirt',
        '--',
        'cat',
        `/var/lib/nova/instances/${id}/console.log`,
      ]).catch(() => '');
    }
    expect(consoleLog).toContain(guest.marker);
    const gone = await exec(
      'openstack server delete --wait guest-1 && openstack server list -f value | wc -l',
      600_000,
    );
    expect(gone.trim()).toBe('0');
  }, 1_500_000);
});
