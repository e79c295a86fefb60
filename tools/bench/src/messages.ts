// What the orchestrator and its load processes (producers, consumers) say to each other over
// the Node IPC channel. Each child takes its config as JSON in argv[2].

export interface ProducerConfig {
  id: number;
  endpoint: string;
  payloadBytes: number;
  /** `zmtp`: the lean ZMTP writer (zmtp.ts); `zeromq`: a zeromq.js Publisher. */
  meter: Meter;
  /** A CURVE broker's client keys (zeromq meter only). */
  curve?: CurveClientKeys;
}

/** What a load process's zeromq.js socket takes to be a CURVE client. */
export interface CurveClientKeys {
  curveServerKey: string;
  curvePublicKey: string;
  curveSecretKey: string;
}

export interface ProducerGo {
  type: 'go';
  /** Stop sending after this long. */
  durationMs: number;
  /** Messages per second for this producer; null = as fast as it can (saturation). */
  ratePerSec: number | null;
  /**
   * Before the measured window: send probes (not counted) the same way for this long, so that
   * every process is warmed up (JIT, buffers) at the measured rate. 0 = none.
   */
  warmupMs: number;
  /** Stop after this many messages (null = only the duration bounds it). */
  count: number | null;
  /**
   * Saturation only: wait when the broker's ingress is full (PUB noDrop) instead of dropping at
   * the producer's own high-water mark.
   */
  backpressure: boolean;
}

export type ToProducer = ProducerGo | { type: 'exit' };

export type FromProducer =
  | { type: 'connected' }
  | { type: 'done'; sent: number; errors: number; startNs: number; endNs: number };

export interface ConsumerConfig {
  kind: 'sub' | 'pull';
  endpoint: string;
  /** Bind instead of connect (the no-broker ceiling: producers connect straight to the SUB); `connected` tells the bound endpoint. */
  bind: boolean;
  /** Producer count: the consumer is ready once probes from each have arrived. */
  producers: number;
  /** The socket's receive high-water mark (messages; zeromq meter only). */
  receiveHwm: number;
  /** `zmtp`: the lean ZMTP reader (zmtp.ts); `zeromq`: a zeromq.js socket. */
  meter: Meter;
  /** A CURVE broker's client keys (zeromq meter only). */
  curve?: CurveClientKeys;
}

/** The load processes' sockets: the lean ZMTP implementation or zeromq.js. */
export type Meter = 'zmtp' | 'zeromq';

export interface ConsumerReport {
  /** Distinct measured messages per producer id. */
  distinct: Record<string, number>;
  duplicates: number;
  reordered: number;
  bytes: number;
  /** Monotonic ns of the first and last measured delivery (0 when none). */
  firstNs: number;
  lastNs: number;
  /** Send-to-receive latency histogram in ns, sparse. */
  latency: Array<[number, number]>;
  /** Frames that were not benchmark messages. */
  foreign: number;
  /** Warm-up messages received in all. */
  probes: number;
}

export type ToConsumer = { type: 'progress' } | { type: 'report' } | { type: 'exit' };

export type FromConsumer =
  | { type: 'connected'; endpoint: string }
  | { type: 'ready' }
  | { type: 'progress'; received: number; probes: number; lastNs: number }
  | { type: 'report'; report: ConsumerReport };

/** Reads a child's JSON config from argv[2]. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('expected a JSON config as the first argument');
  return JSON.parse(raw) as T;
}

/** Sends to the orchestrator; a child started without IPC is a usage error. */
export function tellParent(message: FromProducer | FromConsumer): void {
  if (!process.send) throw new Error('this program is started by the benchmark orchestrator (IPC)');
  process.send(message);
}
