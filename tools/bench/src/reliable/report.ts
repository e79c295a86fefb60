// The durable-queue report: one table per payload/producer combination, each system with its
// ratio to JetStream's best path and to RabbitMQ measured in the same run, then what each
// system's confirm promises and what did not run.
import { num, ratio, table } from '../report';
import type { ReliableCellResult } from './figures';
import type { ReliableRun } from './run';

/** The JetStream run with the most acked msg/s, or null when JetStream did not run. */
export function jetstreamBest(cells: ReliableCellResult[]): ReliableCellResult | null {
  return cells
    .filter((c) => c.system === 'jetstream')
    .reduce<ReliableCellResult | null>(
      (best, c) => (best && best.ackedPerSec >= c.ackedPerSec ? best : c),
      null,
    );
}

function cellKey(c: { payloadBytes: number; producers: number }): string {
  return `${c.payloadBytes} B payload, ${c.producers} producer${c.producers === 1 ? '' : 's'}`;
}

function latency(c: ReliableCellResult): string {
  return `${num(c.latencyUs.p50)} / ${num(c.latencyUs.p99)}`;
}

/** Loss as sequence gaps: a count, marked when it is not 0. */
function lost(c: ReliableCellResult): string {
  if (c.lost === 0) return '0';
  return `**${num(c.lost)}**${c.drainedFully ? '' : ' (unacked when the drain gave up)'}`;
}

/** A server figure, or why there is none: the processes or files were not the run's. */
function measured(c: ReliableCellResult, value: number | null, digits = 0): string {
  if (c.coverage.processes === 'none') return 'not measured';
  return c.coverage.processes === 'broker'
    ? `${num(value, digits)} (broker only)`
    : num(value, digits);
}

function cellTable(
  cells: ReliableCellResult[],
  columns: { replicas: boolean; rabbitmq: boolean },
): string {
  const best = jetstreamBest(cells);
  const rabbit = cells.find((c) => c.system === 'rabbitmq');
  return table(
    [
      'system',
      ...(columns.replicas ? ['replicas'] : []),
      'acked msg/s (end to end)',
      'confirmed msg/s',
      'publish→ack p50 / p99 µs',
      'server CPU µs/msg',
      'peak RSS MB',
      'disk B/msg',
      'lost',
      'dup',
      'vs JetStream best',
      ...(columns.rabbitmq ? ['vs RabbitMQ'] : []),
    ],
    cells.map((c) => [
      c === best ? `${c.label} — JetStream's best` : c.label,
      ...(columns.replicas ? [num(c.replicas)] : []),
      num(c.ackedPerSec),
      num(c.confirmedPerSec),
      latency(c),
      measured(c, c.cpuUsPerMsg, 1),
      measured(c, c.peakRssMb),
      c.disk === null ? 'not measured' : num(c.disk.bytesPerMessage),
      lost(c),
      num(c.duplicates),
      ratio(c.ackedPerSec, best?.ackedPerSec),
      ...(columns.rabbitmq ? [ratio(c.ackedPerSec, rabbit?.ackedPerSec)] : []),
    ]),
  );
}

/** Our broker on JetStream against JetStream used directly, in one line (or none). */
function overhead(cells: ReliableCellResult[]): string | null {
  const ours = cells.find((c) => c.system === 'zmq-mq-jetstream');
  const direct = cells.filter((c) => c.system === 'jetstream');
  const best = jetstreamBest(cells);
  if (!ours || !best) return null;
  const each = direct.map((c) => `${ratio(ours.ackedPerSec, c.ackedPerSec)} ${c.label}`);
  return `Our broker on JetStream ÷ JetStream used directly (acked msg/s): ${ratio(ours.ackedPerSec, best.ackedPerSec)} of its best (${each.join('; ')}).`;
}

/** Where the JetStream systems ran: a nats-server of each run's own, or the servers of --store. */
function where(run: ReliableRun): string {
  const n = run.nats;
  if (n === null) return 'Each run has a fresh server and data directory.';
  return `JetStream (used directly, and as our broker's store) ran on NATS servers this run did not start: \`--store ${n.servers.join(',')}\`, ${n.serverCount} server${n.serverCount === 1 ? '' : 's'}, nats-server ${n.version}; every stream with ${n.replicas} replica${n.replicas === 1 ? '' : 's'}, JetStream's and our broker's alike (the replicas column: as JetStream made each stream). Each run made streams of fresh names there and removed them afterwards. The other systems ran on this machine, each run with a fresh server and data directory.`;
}

/** The markdown section of a `--reliable` run. */
export function reliableTables(run: ReliableRun): string {
  const parts: string[] = [
    '### Durable queues: confirmed publish, acked consume',
    '',
    `Saturation: each producer (a process of its own) keeps up to ${num(run.confirmWindow)} publishes unconfirmed; one consumer process holds up to ${num(run.prefetch)} unacked deliveries, acks each message and records now minus the send time in its payload; ${num(run.windowMs)} ms measured after a 1 s warm-up, then a bounded drain. ${where(run)} Acked msg/s: messages acked inside the measured window (warm-up probes acked then included), over its length: the end-to-end rate, whichever side is slower; confirmed msg/s: confirms inside the window over its length; publish→ack latency: of the messages sent inside the window, at saturation mostly the time spent in the backlog the producers build ahead of the consumer; server CPU: all its processes, from /proc, per message acked from the end of the warm-up to the end of the drain; disk B/msg: the data directory's peak size on disk, less its size when empty, over the messages confirmed by then (a store that frees acked messages during the run shows less than its record size); lost: published, not refused, never acked (sequence gaps; must be 0); dup: acked twice.`,
    '',
  ];
  const groups = new Map<string, ReliableCellResult[]>();
  for (const c of run.cells) groups.set(cellKey(c), [...(groups.get(cellKey(c)) ?? []), c]);
  const columns = {
    replicas: run.nats !== null,
    rabbitmq: run.cells.some((c) => c.system === 'rabbitmq'),
  };
  for (const [key, cells] of groups) {
    parts.push(`#### ${key}\n`, cellTable(cells, columns), '');
    const line = overhead(cells);
    if (line) parts.push(line, '');
  }
  const reasons = [...new Set(run.cells.map((c) => c.coverage.reason).filter((r) => r !== null))];
  for (const reason of reasons)
    parts.push(`Not measured: ${reason}; "broker only": our broker's own process is.`, '');
  if (run.left.length > 0)
    parts.push(`Left on the NATS servers (could not be removed): ${run.left.join('; ')}.`, '');
  const durability = Object.entries(run.durability);
  if (durability.length > 0) {
    parts.push('What a confirm promises:', '');
    for (const [id, text] of durability) parts.push(`- ${id}: ${text}.`);
    parts.push('');
  }
  for (const [id, why] of Object.entries(run.skipped)) parts.push(`Skipped ${id}: ${why}.`);
  for (const f of run.failures)
    parts.push(`Failed ${f.driver}, ${cellKey(f)}: ${f.error.split('\n')[0]}.`);
  if (Object.keys(run.skipped).length + run.failures.length > 0) parts.push('');
  return parts.join('\n');
}
