module.exports = {
  displayName: 'queue-store',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
