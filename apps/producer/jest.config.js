module.exports = {
  displayName: 'producer',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
