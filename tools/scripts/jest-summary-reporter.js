// Appends each Jest run's counts, and the name and first lines of every failure, to
// tmp/test-results so that `npm test` can close with one line for the whole workspace
// ("Tests: N passed, N failed") and, under it, which tests failed and why: a long run's log is
// often read from its end.
const fs = require('node:fs');
const path = require('node:path');

// Enough of a failure to say what was expected and what came, not the whole stack.
const FAILURE_LINES = 12;

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const root = path.join(__dirname, '..', '..');
    const dir = path.join(root, 'tmp', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const name = path.basename(this.rootDir) + '-' + process.pid + '.json';
    const failures = [];
    for (const file of results.testResults) {
      const where = path.relative(root, file.testFilePath);
      const failed = file.testResults.filter((t) => t.status === 'failed');
      for (const t of failed) {
        failures.push({
          test: `${where} › ${t.fullName}`,
          message: firstLines(t.failureMessages.join('\n')),
        });
      }
      // A file that could not run, or whose hooks failed outside any test.
      if (failed.length === 0 && (file.testExecError || file.failureMessage)) {
        const message =
          file.failureMessage || file.testExecError?.message || file.testExecError?.stack || '';
        failures.push({ test: where, message: firstLines(message) });
      }
    }
    const summary = {
      project: path.relative(root, this.rootDir),
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites,
      runtimeErrorSuites: results.numRuntimeErrorTestSuites,
      failures,
    };
    fs.writeFileSync(path.join(dir, name), JSON.stringify(summary));
  }
}

/** The first lines of a failure message, without colour codes or Jest's own stack frames. */
function firstLines(text) {
  return (
    String(text)
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .trim()
      .split('\n')
      .filter((line) => !/^\s+at .*node_modules/.test(line))
      .slice(0, FAILURE_LINES)
      .join('\n')
  );
}

module.exports = SummaryReporter;
