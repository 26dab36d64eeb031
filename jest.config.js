/**
 * Three tiers (README, "Contributing"): `unit` (test/unit, and test/contract, which needs only
 * Redis) is the fast one; `integration` starts real services, each file its own on free ports
 * with its own Redis key prefix, so its files run side by side; `serial` holds the suites that
 * drive the machine hard (load, chaos, a browser) or bound timings tightly enough that a
 * neighbour's load would fail them: `npm test` runs them one at a time, after the others.
 * `npx jest` alone runs every tier at once.
 */
const SERIAL = [
  'bench-smoke',
  'soak-smoke',
  'chaos',
  'fuzz',
  'large-broadcast',
  'presence-two-processes',
  'sentinel-failover',
  'redis-cluster',
  'workers',
  'workers-scale',
  'rolling-deploy',
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/test/tsconfig.jest.json' }] },
  // The client package is tested from its source, whose imports name the `.js` files that tsc makes of it.
  moduleNameMapper: {
    '^@mechamap/realtime-client$': '<rootDir>/packages/client/src/index.ts',
    '^@mechamap/realtime-client/(.*)$': '<rootDir>/packages/client/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
const serialFiles = SERIAL.map((name) => `<rootDir>/test/integration/${name}.test.ts`);

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30_000,
  // Most of a test's time is spent waiting on sockets and processes, so more workers than the
  // CI machine's 2 cores pay; JEST_MAX_WORKERS overrides.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit', '<rootDir>/test/contract'] },
    { ...shared, displayName: 'integration', roots: ['<rootDir>/test/integration', '<rootDir>/test/client'], testPathIgnorePatterns: serialFiles },
    { ...shared, displayName: 'serial', testMatch: [...serialFiles, '<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
