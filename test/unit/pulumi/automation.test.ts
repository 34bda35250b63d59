// Automation API wiring without running Pulumi: the offline environment and the stack config round trip
// (what toConfigMap stores is what the program's readRawConfig reads back).
import { describe, expect, test } from '@jest/globals';
import { offlineEnv, toConfigMap } from '../../../pulumi/automation.js';
import { readRawConfig, type RawDiscoveryConfig } from '../../../pulumi/config.js';
import { readyOf } from '../../../pulumi/discovery.js';

describe('automation wiring', () => {
  test('offline environment: no update check, no plugin download, file backend, tools first on PATH', () => {
    const env = offlineEnv('/state', 'pw', '/repo/.tools/bin');
    expect(env).toMatchObject({
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PULUMI_BACKEND_URL: 'file:///state',
      PULUMI_CONFIG_PASSPHRASE: 'pw',
      PULUMI_HOME: '/state/.pulumi-home',
    });
    expect(env.PATH!.split(':')[0]).toBe('/repo/.tools/bin');
  });

  test('stack config round trip: every key comes back with its type', () => {
    const raw: RawDiscoveryConfig = {
      clusterProvider: 'existing',
      namespace: 'ns',
      edgeSites: 2,
      installOperator: false,
      retainCrds: true,
      sites: [{ name: 'a', kubeconfig: '/k/a.yaml', role: 'core', rttMillis: 0, labels: { x: 'y' } }],
      operatorValues: { replicaCount: 1, image: { tag: '1' } },
      fleetLabel: '123',
    };
    const map = toConfigMap(raw);
    expect(Object.keys(map).every((k) => k.startsWith('discovery:'))).toBe(true);
    expect(readRawConfig((k) => map[`discovery:${k}`]?.value)).toEqual(raw);
  });

  test('readyOf reads the Ready condition, Unknown when there is none', () => {
    expect(readyOf(undefined)).toEqual({ ready: 'Unknown', message: '' });
    expect(readyOf({ conditions: [{ type: 'Reachable', status: 'True' }] })).toEqual({ ready: 'Unknown', message: '' });
    expect(
      readyOf({
        conditions: [
          { type: 'Reachable', status: 'True' },
          { type: 'Ready', status: 'False', message: 'x' },
        ],
      }),
    ).toEqual({ ready: 'False', message: 'x' });
  });
});
