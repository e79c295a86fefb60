// Behaviour tests of the benchmark's pure logic (statistics, loss counting, rendering); no timing.
module.exports = {
  displayName: 'bench',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
