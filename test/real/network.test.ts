// Real nodes, real network: a pod's HTTP server answers another cluster's pod across the WAN bridge (source
// address preserved: the request really left the other node), a Service answers by its DNS name, and kubectl
// logs / exec / port-forward reach a real container.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  createNamespace,
  deleteNamespace,
  eventually,
  kubectlIn,
  nodeOf,
  realTestFleet,
  runJob,
  toolboxPod,
} from '../harness/real.js';
import { KUBECTL } from '../harness/operator.js';

const fleet = realTestFleet();
const ns = `real-net-${process.pid}`;
const server = fleet.cluster('edge-1');
const client = fleet.cluster('edge-2');

// busybox httpd with a CGI script that says which pod answered and which address the request came from.
const WEB = [
  'mkdir -p /tmp/www/cgi-bin',
  // CGI headers end in CRLF: Node's HTTP parser (fetch) refuses bare LFs.
  'printf \'#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "host=$(hostname) remote=$REMOTE_ADDR"\\n\' > /tmp/www/cgi-bin/who',
  'chmod 755 /tmp/www/cgi-bin/who',
  'echo web started',
  'exec httpd -f -v -p 8080 -h /tmp/www',
].join(' && ');

let nodePort = 0;
let clusterIp = '';

beforeAll(async () => {
  await createNamespace(server, ns);
  await createNamespace(client, ns);
  const apps = server.kubeConfig().makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: toolboxPod(WEB, { ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 } } }),
        },
      },
    },
  });
  const core = server.kubeConfig().makeApiClient(CoreV1Api);
  const svc = await core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      // Local: no SNAT on the way in, so the server sees the client node's address.
      spec: {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        selector: { app: 'web' },
        ports: [{ port: 8080, targetPort: 8080 }],
      },
    },
  });
  nodePort = svc.spec!.ports![0]!.nodePort!;
  clusterIp = svc.spec!.clusterIP!;
  await eventually('web Deployment available on the real node', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    return (d.status?.availableReplicas ?? 0) >= 1 ? true : undefined;
  });
});

afterAll(async () => {
  await deleteNamespace(server, ns);
  await deleteNamespace(client, ns);
});

describe('real nodes of the fleet', () => {
  test('every cluster has a Ready real node with its own WAN address', async () => {
    const addresses = new Set<string>();
    for (const c of fleet.all) {
      const node = nodeOf(fleet, c.name);
      const n = await c.kubeConfig().makeApiClient(CoreV1Api).readNode({ name: node.nodeName });
      expect(n.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
      const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      expect(ip).toBe(node.ip);
      expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
      expect(n.status?.nodeInfo?.kubeletVersion).toBe('v1.37.2');
      addresses.add(ip!);
    }
    expect(addresses.size).toBe(fleet.all.length);
  });

  test("a pod's HTTP server answers a pod of another cluster across the WAN, which sees that node's address", async () => {
    const serverIp = nodeOf(fleet, server.name).ip;
    const out = await runJob(
      client,
      ns,
      'wan-client',
      // busybox 1.35's wget crashes with -T: `timeout` bounds it instead.
      toolboxPod(`timeout 20 wget -q -O - http://${serverIp}:${nodePort}/cgi-bin/who`),
    );
    expect(out).toMatch(/host=web-[a-z0-9]+-[a-z0-9]+ /);
    // busybox httpd reports IPv4 clients as IPv4-mapped IPv6 addresses.
    expect(out).toMatch(
      new RegExp(`remote=\\[?(::ffff:)?${nodeOf(fleet, client.name).ip.replace(/\./g, '\\.')}\\]?$`, 'm'),
    );
  });

  test('a Service answers by its DNS name (CoreDNS on the real node)', async () => {
    const name = `web.${ns}.svc.cluster.local`;
    const out = await runJob(
      server,
      ns,
      'dns-client',
      toolboxPod(`nslookup ${name} && timeout 20 wget -q -O - http://${name}:8080/cgi-bin/who`),
    );
    expect(out).toContain(clusterIp);
    expect(out).toMatch(/host=web-/);
  });

  test('kubectl logs, exec and port-forward reach the real container', async () => {
    const pods = await server
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    const pod = pods.items[0]!.metadata!.name!;
    expect(await kubectlIn(server, ['-n', ns, 'logs', pod])).toContain('web started');
    expect((await kubectlIn(server, ['-n', ns, 'exec', pod, '--', 'id', '-u'])).trim()).toBe('1000');

    const pf = spawn(KUBECTL, ['--kubeconfig', server.kubeconfigPath, '-n', ns, 'port-forward', `pod/${pod}`, ':8080']);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        pf.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /127\.0\.0\.1:(\d+) ->/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        pf.once('exit', (code) => reject(new Error(`port-forward exited ${code}: ${out}`)));
        setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 20_000);
      });
      const body = await eventually('an answer through port-forward', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/cgi-bin/who`);
        return r.ok ? r.text() : undefined;
      });
      expect(body).toContain(`host=${pod}`);
    } finally {
      pf.kill();
    }
  });
});
