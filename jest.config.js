/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/test/tsconfig.jest.json' }] },
  // The client package is tested from its source, whose imports name the `.js` files that tsc makes of it.
  moduleNameMapper: {
    '^@mechamap/realtime-client$': '<rootDir>/packages/client/src/index.ts',
    '^@mechamap/realtime-client/(.*)$': '<rootDir>/packages/client/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30_000,
};
