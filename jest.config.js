/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/lib', '<rootDir>/test', '<rootDir>/sample-app'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleNameMapper: {
    '^nestjs-observability$': '<rootDir>/lib/index.ts',
    '^nestjs-observability/instrument$': '<rootDir>/lib/instrument.ts',
    '^nestjs-observability/core$': '<rootDir>/lib/core.ts',
    '^nestjs-observability/sentry$': '<rootDir>/lib/sentry.ts',
    '^nestjs-observability/tracing$': '<rootDir>/lib/tracing.ts',
  },
  testTimeout: 30000,
};
