export default {
  displayName: 'queue-store',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
