import { ensurePackage, installCommand } from '../src/reliable/install';

describe('ensurePackage', () => {
  const log: string[] = [];

  it('does nothing when the program is there', () => {
    expect(ensurePackage('coreutils', process.execPath, (l) => log.push(l))).toBeNull();
    expect(log).toEqual([]);
  });

  it('names the command to run when it is missing and the bench is not root', () => {
    const why = ensurePackage('nats-server', '/nonexistent/nats-server', (l) => log.push(l), false);
    expect(why).toBe(
      'nats-server is not installed (/nonexistent/nats-server missing); as root: apt-get update && apt-get install -y nats-server',
    );
    expect(installCommand('rabbitmq-server')).toBe(
      'apt-get update && apt-get install -y rabbitmq-server',
    );
    expect(log).toEqual([]);
  });
});
