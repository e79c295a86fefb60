module.exports = {
  displayName: 'queues',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
