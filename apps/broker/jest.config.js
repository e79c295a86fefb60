// The broker program as a process: flags, environment, signals, exit codes, the built bundle.
module.exports = {
  displayName: 'broker',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
  testTimeout: 60000,
};
