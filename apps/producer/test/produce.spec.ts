import { terminalOutput } from '../src/produce';

describe('terminal output of the producer', () => {
  const at = (
    mode: 'demo' | 'args' | 'stdin',
    stdinIsTTY: boolean,
    stderrIsTTY: boolean,
    verbose = false,
  ) => terminalOutput({ mode, verbose, stdinIsTTY, stderrIsTTY });

  it('typing into stdin mode: one prompt line, and no progress line under what is typed', () => {
    expect(at('stdin', true, true)).toEqual({ stdinPrompt: true, progress: false });
    expect(at('stdin', true, false)).toEqual({ stdinPrompt: true, progress: false });
  });

  it('stdin from a pipe or file: no prompt; progress when stderr is a terminal', () => {
    expect(at('stdin', false, true)).toEqual({ stdinPrompt: false, progress: true });
    expect(at('stdin', false, false)).toEqual({ stdinPrompt: false, progress: false });
  });

  it('messages as arguments: progress on a terminal unless every message is printed', () => {
    expect(at('args', true, true)).toEqual({ stdinPrompt: false, progress: true });
    expect(at('args', true, true, true)).toEqual({ stdinPrompt: false, progress: false });
    expect(at('args', false, false)).toEqual({ stdinPrompt: false, progress: false });
  });
});
