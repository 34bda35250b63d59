// Unit tests of the write gate through real client-node clients and a local HTTP server: writes are refused before
// anything is sent unless the gate is open, reads always pass, and aborting the term cancels a write in flight.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  NotLeaderError,
  WriteGate,
  WritesStoppedError,
  gatedApiClient,
  gatedObjectApi,
} from '../../../operator/src/runtime/writegate.js';

const received: string[] = [];
let hold: ((res: ServerResponse) => void) | undefined;
let server: Server;
let kc: KubeConfig;

function answer(req: IncomingMessage, res: ServerResponse): void {
  received.push(`${req.method} ${req.url?.split('?')[0]}`);
  if (hold && req.method !== 'GET') return hold(res); // leave the write hanging
  res.setHeader('Content-Type', 'application/json');
  if (req.url === '/api/v1') {
    // discovery, read by KubernetesObjectApi before a patch
    const resources = [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['patch'] }];
    return void res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources }));
  }
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns', resourceVersion: '1' } };
  res.end(JSON.stringify(cm));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const body = { metadata: { name: 'x', namespace: 'ns' } };

describe('WriteGate', () => {
  test('closed: writes are refused before anything is sent; reads pass', async () => {
    const gate = new WriteGate();
    const core = gatedApiClient(kc, CoreV1Api, gate);
    received.length = 0;
    await expect(core.createNamespacedConfigMap({ namespace: 'ns', body })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(core.deleteNamespacedConfigMap({ name: 'x', namespace: 'ns' })).rejects.toThrow(
      'DELETE /api/v1/namespaces/ns/configmaps/x refused: this replica is not the leader',
    );
    const objects = gatedObjectApi(kc, gate);
    await expect(
      objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', ...body }, undefined, undefined, 'discovery-operator', true),
    ).rejects.toBeInstanceOf(NotLeaderError);
    expect(received.filter((r) => !r.startsWith('GET '))).toEqual([]);
    received.length = 0;
    await core.readNamespacedConfigMap({ name: 'x', namespace: 'ns' });
    expect(received).toEqual(['GET /api/v1/namespaces/ns/configmaps/x']);
  });

  test('open: writes pass; when the term ends they are refused again', async () => {
    const gate = new WriteGate();
    const core = gatedApiClient(kc, CoreV1Api, gate);
    const term = new AbortController();
    gate.open(term.signal);
    received.length = 0;
    await core.createNamespacedConfigMap({ namespace: 'ns', body });
    expect(received).toEqual(['POST /api/v1/namespaces/ns/configmaps']);
    term.abort(new WritesStoppedError('leadership lost'));
    expect(gate.isOpen).toBe(false);
    await expect(core.createNamespacedConfigMap({ namespace: 'ns', body })).rejects.toBeInstanceOf(NotLeaderError);
    expect(received).toHaveLength(1);
  });

  test('a write in flight is cancelled the moment the term ends', async () => {
    const gate = new WriteGate();
    const core = gatedApiClient(kc, CoreV1Api, gate);
    const term = new AbortController();
    gate.open(term.signal);
    let held: ServerResponse | undefined;
    const arrived = new Promise<void>((resolve) => {
      hold = (res) => {
        held = res;
        resolve();
      };
    });
    try {
      const write = core.replaceNamespacedConfigMap({ name: 'x', namespace: 'ns', body });
      await arrived; // the server has the request and does not answer
      term.abort(new WritesStoppedError('leadership lost (could not renew the lease in time)'));
      await expect(write).rejects.toBeInstanceOf(WritesStoppedError);
      expect(held?.writableEnded).toBe(false);
    } finally {
      hold = undefined;
      held?.destroy();
    }
  });
});
