// apps/broker/README.md's flag table is the one reference for the broker's flags: it must list
// every option the CLI takes (OPTION_NAMES), with its environment variable, and each default
// exactly as `--help` prints it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_NAMES, type BrokerOptionKey } from '@zmq-mq/broker';
import { parseCli } from '../src/cli';

interface Row {
  flag: string;
  env: string;
  default: string;
}

const code = (cell: string): string => cell.trim().replace(/^`(.*)`$/, '$1');

/** The rows of the README's table whose header starts with `| flag | environment | default |`. */
function readmeRows(): Row[] {
  const lines = readFileSync(join(__dirname, '..', 'README.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) =>
    /^\|\s*flag\s*\|\s*environment\s*\|\s*default\s*\|/.test(l),
  );
  expect(header).toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [flag = '', env = '', def = ''] = line.split('|').slice(1);
    rows.push({ flag: code(flag), env: code(env), default: code(def) });
  }
  return rows;
}

/** Each option's `(default …)` in the `--help` text, whitespace as commander wraps it undone. */
function helpDefaults(): Map<string, string> {
  const r = parseCli(['--help'], {});
  if (r.kind !== 'exit') throw new Error('--help did not exit');
  const help = r.output.replace(/\s+/g, ' ');
  const out = new Map<string, string>();
  // Each option's entry is read after the one before it (commander lists them in order): a
  // description may name another flag (`--nats-user`: "with --nats-password").
  let from = 0;
  for (const key of Object.keys(OPTION_NAMES) as BrokerOptionKey[]) {
    const { flag, env } = OPTION_NAMES[key];
    // A flag with a value (`--ingress <endpoint>`) or an on/off one (`--insecure`).
    const found = help.slice(from).search(new RegExp(`${flag}(?: <| )`));
    const start = found < 0 ? -1 : from + found;
    const end = help.indexOf(`[env ${env}]`, start);
    expect([flag, start >= 0 && end > start]).toEqual([flag, true]);
    const defaults = [...help.slice(start, end).matchAll(/\(default ([^)]+)\)/g)];
    expect([flag, defaults.length]).toEqual([flag, 1]);
    out.set(flag, (defaults[0] as RegExpMatchArray)[1] as string);
    from = end;
  }
  return out;
}

describe('apps/broker/README.md flag table', () => {
  const options = Object.values(OPTION_NAMES);

  it('lists every flag once, in the order of the CLI, and nothing else', () => {
    expect(readmeRows().map((r) => r.flag)).toEqual(options.map((o) => o.flag));
  });

  it("names each flag's environment variable", () => {
    const envs = new Map(readmeRows().map((r) => [r.flag, r.env]));
    for (const { flag, env } of options) expect([flag, envs.get(flag)]).toEqual([flag, env]);
  });

  it('gives each default exactly as --help prints it', () => {
    const help = helpDefaults();
    for (const row of readmeRows()) {
      expect([row.flag, row.default]).toEqual([row.flag, help.get(row.flag)]);
    }
  });
});
