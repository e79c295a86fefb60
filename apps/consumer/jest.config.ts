export default {
  displayName: 'consumer',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
