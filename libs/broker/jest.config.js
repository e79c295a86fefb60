module.exports = {
  displayName: 'broker-lib',
  preset: '../../jest.preset.js',
  rootDir: '.',
  maxWorkers: 1,
};
