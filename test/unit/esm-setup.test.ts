// Guards the test toolchain itself: jest must load the ESM-only @kubernetes/client-node and our `.js`-suffixed imports.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION } from '../../operator/src/api/types.js';

describe('jest ESM setup', () => {
  test('loads @kubernetes/client-node and resolves .js specifiers to TypeScript sources', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(API_VERSION).toBe('discovery.beyondtheclouds.io/v1alpha1');
  });
});
