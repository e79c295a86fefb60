// The service generator: on a tree in memory, and end to end in a scratch copy of the workspace
// (nx g, then nx lint, test, build of each role, then each deploy folder run alone).
module.exports = {
  displayName: 'tools',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
  testTimeout: 60000,
};
