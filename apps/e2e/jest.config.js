// End-to-end tests: real processes (built apps), real sockets on 127.0.0.1, Python peers.
module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '<rootDir>/src/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 1,
};
