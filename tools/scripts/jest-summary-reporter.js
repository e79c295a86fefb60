// Appends each Jest run's counts to tmp/test-results so that `npm test` can print one
// closing line for the whole workspace ("Tests: N passed, N failed").
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(__dirname, '..', '..', 'tmp', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const name = path.basename(this.rootDir) + '-' + process.pid + '.json';
    const summary = {
      project: path.relative(path.join(__dirname, '..', '..'), this.rootDir),
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites,
      runtimeErrorSuites: results.numRuntimeErrorTestSuites,
    };
    fs.writeFileSync(path.join(dir, name), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
