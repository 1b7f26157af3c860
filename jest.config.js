// ESM all the way: chalk and execa are ESM-only, so tests run as native ES
// modules (node --experimental-vm-modules) with ts-jest's ESM preset.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // Tests that run TVM builds take minutes on two cores.
  testTimeout: 600000,
  maxWorkers: 2,
};
