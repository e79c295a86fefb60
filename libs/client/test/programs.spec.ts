// The test-support Program: lines of a real child process, waits that end on its output or its
// exit, and stopping it with a signal.
import { Closer, Program } from '../src/testing';

const node = (script: string): Program => new Program(process.execPath, ['-e', script]);

describe('Program', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  it('keeps what the program prints as lines and finds the first that matches', async () => {
    const program = closer.track(
      node(
        "process.stdout.write('one\\ntw'); setTimeout(() => { process.stdout.write('o\\n'); console.error('three'); }, 20)",
      ),
    );
    expect(await program.line(/^thr/)).toBe('three');
    expect(await program.exit()).toEqual({ code: 0, signal: null });
    expect(program.stdout).toEqual(['one', 'two']);
    expect(program.output).toBe('one\ntwo\nthree');
  });

  it('rejects a wait for a line the program ends without printing, showing its output', async () => {
    const program = closer.track(node("console.log('only this'); process.exitCode = 3"));
    await expect(program.line(/never/)).rejects.toThrow(
      /ended \({"code":3,"signal":null}\) without printing \/never\/:\nonly this/,
    );
  });

  it('rejects a wait that outlasts its deadline', async () => {
    const program = closer.track(node('setInterval(() => undefined, 1000)'));
    await expect(program.line(/never/, 100)).rejects.toThrow(/timed out after 100 ms/);
  });

  it('stops the program with a signal and says how it ended', async () => {
    const program = closer.track(
      node(
        "process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('up'); setInterval(() => undefined, 1000)",
      ),
    );
    await program.line(/^up$/);
    expect(await program.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(program.stdout).toEqual(['up', 'bye']);
    const stubborn = closer.track(node("console.log('up'); setInterval(() => undefined, 1000)"));
    await stubborn.line(/^up$/);
    expect(await stubborn.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
