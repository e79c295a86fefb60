/**
 * NATS servers for tests, `@zmq-mq/queue-store/testing/nats`: Debian's nats-server with
 * JetStream, on free loopback ports with a data directory of its own, as one server or a
 * cluster of several (routes on 127.0.0.1), with a user and password or TLS when asked. Each
 * can be killed with SIGKILL and started again on the same ports and directory. `stop()` ends
 * every process and removes the directories.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, waitFor, withTimeout } from '@zmq-mq/protocol/testing';

/** Where Debian installs the server (package nats-server). */
export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
/** A server, or a cluster, is ready well within this (about 1.5 s for three here). */
const START_TIMEOUT_MS = 20_000;

interface Ports {
  client: number;
  cluster: number | undefined;
}

/** One nats-server process (restartable on its ports and data directory). */
export class NatsServer {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** The server's log (it writes to stderr), for failure messages. */
  log = '';
  readonly dataDir: string;

  constructor(
    readonly name: string,
    private readonly ports: Ports,
    private readonly routes: string[],
    private readonly binary = NATS_SERVER_BINARY,
    /** More arguments, such as `--user U --pass P`. */
    private readonly extraArgs: readonly string[] = [],
    /** The host its URL names: `localhost` for a server with TLS (its certificate's name). */
    private readonly urlHost = '127.0.0.1',
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `zmqmq-nats-${name}-`));
  }

  /** `nats://127.0.0.1:PORT` (`tls://localhost:PORT` with TLS) */
  get url(): string {
    const scheme = this.urlHost === '127.0.0.1' ? 'nats' : 'tls';
    return `${scheme}://${this.urlHost}:${this.ports.client}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the process and resolves once it logs that it is ready. */
  async start(): Promise<void> {
    const args = [
      '-js',
      '-n',
      this.name,
      '-a',
      '127.0.0.1',
      '-p',
      String(this.ports.client),
      '-sd',
      this.dataDir,
      ...this.extraArgs,
    ];
    if (this.ports.cluster !== undefined) {
      args.push(
        '--cluster_name',
        'zmqmq-test',
        '--cluster',
        `nats://127.0.0.1:${this.ports.cluster}`,
      );
      if (this.routes.length > 0) args.push('--routes', this.routes.join(','));
    }
    const proc = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.log = '';
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code, signal) =>
        reject(new Error(`nats-server ${this.name} exited (${code ?? signal}):\n${this.log}`)),
      );
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => {
        this.log += chunk;
        if (this.log.includes('Server is ready')) resolve();
      });
    });
    await withTimeout(
      ready,
      START_TIMEOUT_MS,
      () => `nats-server ${this.name} to be ready:\n${this.log}`,
    );
  }

  /** SIGKILL, as a crash: nothing flushed. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.proc?.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the process (SIGKILL: tests keep nothing) and removes the data directory. */
  async stop(): Promise<void> {
    await this.kill9();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A test certificate authority and a server certificate it signed for localhost (PEM files). */
export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes a certificate authority and a server certificate for `localhost` signed by it, with
 * openssl (P-256 keys, valid 2 days), in a new temporary directory; the caller removes `dir`.
 * A name, not 127.0.0.1: nats.js checks a server it reaches by IP address against `localhost`
 * (it gives Node's TLS no server name then), so servers with TLS are named by host name.
 */
export function makeTestCertificates(name = 'ca'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'zmqmq-tls-'));
  const f = (file: string): string => join(dir, file);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(f('ext'), 'subjectAltName=DNS:localhost\n');
  const ca = f('ca.pem');
  const caSubject = `/CN=zmqmq-test-${name}`;
  const serverCsr = f('server.csr');
  const signed = ['-out', f('server.pem'), '-days', '2', '-extfile', f('ext')];
  const steps = [
    ['req', '-x509', ...key, '-keyout', f('ca.key'), '-out', ca, '-days', '2', '-subj', caSubject],
    ['req', ...key, '-keyout', f('server.key'), '-out', serverCsr, '-subj', '/CN=localhost'],
    [
      'x509',
      '-req',
      '-in',
      serverCsr,
      '-CA',
      ca,
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      ...signed,
    ],
  ];
  for (const args of steps) {
    const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
    }
  }
  return { dir, caFile: ca, certFile: f('server.pem'), keyFile: f('server.key') };
}

/** How the test servers are started. */
export interface NatsServersOptions {
  binary?: string;
  /** Clients must log in with this user and password. */
  auth?: { user: string; password: string };
  /** Clients must speak TLS; the servers present `certFile` (signed by `caFile`). */
  tls?: TestCertificates;
}

/** Servers that form one JetStream (one server, or a cluster). */
export class NatsServers {
  private constructor(
    readonly servers: NatsServer[],
    private readonly options: NatsServersOptions,
  ) {}

  /**
   * Starts `count` servers (a cluster when more than one, routes on loopback) and resolves
   * once JetStream answers through the first of them (a cluster has elected its meta leader).
   */
  static async start(count = 1, options: NatsServersOptions = {}): Promise<NatsServers> {
    const binary = options.binary ?? NATS_SERVER_BINARY;
    const { auth, tls } = options;
    const extra = [
      ...(auth === undefined ? [] : ['--user', auth.user, '--pass', auth.password]),
      ...(tls === undefined ? [] : ['--tls', '--tlscert', tls.certFile, '--tlskey', tls.keyFile]),
    ];
    const ports: Ports[] = [];
    for (let i = 0; i < count; i++) {
      ports.push({ client: await freePort(), cluster: count > 1 ? await freePort() : undefined });
    }
    const servers = ports.map(
      (p, i) =>
        new NatsServer(
          `n${i}`,
          p,
          ports.filter((_, j) => j !== i).map((o) => `nats://127.0.0.1:${o.cluster}`),
          binary,
          extra,
          tls === undefined ? '127.0.0.1' : 'localhost',
        ),
    );
    const group = new NatsServers(servers, options);
    try {
      await Promise.all(servers.map((s) => s.start()));
      await group.jetStreamReady();
    } catch (err) {
      await group.stop();
      throw err;
    }
    return group;
  }

  /** Every server's URL. */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** Resolves once a JetStream API request through `via` (default the first server) is answered. */
  async jetStreamReady(
    via = this.servers[0] as NatsServer,
    timeoutMs = START_TIMEOUT_MS,
  ): Promise<void> {
    const { auth, tls } = this.options;
    const nc = await connect({
      servers: via.url,
      reconnect: false,
      ...(auth === undefined ? {} : { user: auth.user, pass: auth.password }),
      ...(tls === undefined ? {} : { tls: { caFile: tls.caFile } }),
    });
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 1000 });
      await waitFor(
        () =>
          jsm.getAccountInfo().then(
            () => true,
            () => false,
          ),
        timeoutMs,
        () => `JetStream through ${via.name} to answer:\n${via.log}`,
      );
    } finally {
      await nc.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
