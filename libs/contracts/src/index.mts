// The ES module entry of the built package: the CommonJS build's names, re-exported. Node reads
// them from index.js (tsc's exports are what its CommonJS lexer recognises), so `import` and
// `require` share one copy of every class: an error thrown by one is `instanceof` in the other.
export * from './index.js';
