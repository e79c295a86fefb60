/**
 * The environment a test hands the programs it starts: its own, but for `npm_lifecycle_event`.
 * A test runner started by npm has it, and a program that sees it takes its parent for npm,
 * which forwards each stop signal a second time, and waits up to a second at exit for that copy
 * (handleStopSignals); here the test is the parent, and it sends one signal.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { npm_lifecycle_event: _npm, ...inherited } = process.env;
  return { ...inherited, ...extra };
}
