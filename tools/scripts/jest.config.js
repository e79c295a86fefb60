// The build and test runner scripts, run as real processes (node, a fake apt-get on PATH).
module.exports = {
  displayName: 'scripts',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
  testTimeout: 60000,
};
