// The broker program as a process: flags, environment, signals, exit codes, the built bundle.
export default {
  displayName: 'broker',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
  testTimeout: 60000,
};
