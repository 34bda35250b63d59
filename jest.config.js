// Jest runs the TypeScript sources as native ES modules (the project is "type": "module" and
// @kubernetes/client-node 2.x is ESM-only): @swc/jest strips types, Node's vm modules load ESM
// (`--experimental-vm-modules`, set in the npm scripts), and `.js` import specifiers map back to `.ts` files.
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' }, sourceMaps: 'inline' },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  // Integration suites share one fleet and some inject faults into it: run test files one at a time.
  maxWorkers: 1,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/images/'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/integration-env.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.mjs',
      globalTeardown: '<rootDir>/test/harness/global-teardown.mjs',
    },
    {
      // Real containers on real nodes (kubelet + containerd per cluster, in network namespaces): needs root.
      ...common,
      displayName: 'real-nodes',
      testMatch: ['<rootDir>/test/real/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/integration-env.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup-real.mjs',
      globalTeardown: '<rootDir>/test/harness/global-teardown-real.mjs',
    },
    // The images suite builds (or reuses) every image and runs them with a private dockerd: no fleet, root needed,
    // minutes when the image cache is cold. Opt-in (`npm run test:images` sets DISCOVERY_IMAGE_TESTS=1).
    ...(globalThis.process.env.DISCOVERY_IMAGE_TESTS
      ? [
          {
            ...common,
            displayName: 'images',
            testMatch: ['<rootDir>/test/integration/images/**/*.test.ts'],
            testPathIgnorePatterns: [
              '/node_modules/',
              '<rootDir>/test/integration/images/openstack.test.ts',
              '<rootDir>/test/integration/images/guest-boot.test.ts',
            ],
          },
        ]
      : []),
    // The OpenStack images (`npm run images -- --group openstack`, about 10 min cold) running Keystone and friends in a
    // throwaway containerd, and nova-libvirt booting the test guest (`--group guest`): opt-in of its own
    // (`npm run test:images:openstack` sets DISCOVERY_OPENSTACK_IMAGE_TESTS=1).
    ...(globalThis.process.env.DISCOVERY_OPENSTACK_IMAGE_TESTS
      ? [
          {
            ...common,
            displayName: 'openstack-images',
            testMatch: [
              '<rootDir>/test/integration/images/openstack.test.ts',
              '<rootDir>/test/integration/images/guest-boot.test.ts',
            ],
          },
        ]
      : []),
    // A working OpenStack on real nodes (npm run test:openstack sets DISCOVERY_OPENSTACK_TESTS=1): needs root and the
    // OpenStack images (npm run images -- --group openstack); its own real-node fleet; about 10 min warm.
    ...(globalThis.process.env.DISCOVERY_OPENSTACK_TESTS
      ? [
          {
            ...common,
            displayName: 'openstack',
            testMatch: ['<rootDir>/test/openstack/**/*.test.ts'],
            setupFilesAfterEnv: ['<rootDir>/test/harness/integration-env.ts'],
            globalSetup: '<rootDir>/test/harness/global-setup-openstack.mjs',
            globalTeardown: '<rootDir>/test/harness/global-teardown-openstack.mjs',
          },
        ]
      : []),
  ],
};
