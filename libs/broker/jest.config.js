module.exports = {
  displayName: 'broker-lib',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
  setupFilesAfterEnv: ['<rootDir>/test/setup-proxy-threads.ts'],
};
