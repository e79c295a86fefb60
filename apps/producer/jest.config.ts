export default {
  displayName: 'producer',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
