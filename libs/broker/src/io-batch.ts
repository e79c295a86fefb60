import { capability, type Socket } from 'zeromq';
import type { BoundSocket, SocketRole } from './sockets';

/**
 * Bytes libzmq gathers from a pipe into one write (ZMQ_OUT_BATCH_SIZE) on each connection of
 * the sockets that carry every message out: the publish and push sockets, and the fan-out's
 * stream to the work path's tap. libzmq's default is 8 KiB: a 16 KiB message then takes two
 * writes, and a write of small messages carries at most 80 of them; on this kind of machine a
 * system call costs about 1 µs before it does anything. 64 KiB is the most loopback TCP puts
 * in one segment. libzmq copies a message into the batch unless the batch is empty and the
 * message's rest fills it, so a large message has up to 64 KiB copied once more (8 KiB before);
 * measured at 64 KiB, that cost about what it saved, and 32 KiB moved 16 KiB messages slower
 * (docs/adr/0022-io-batches-threads-and-buffers.md). Reads keep libzmq's 8 KiB: 64 KiB reads
 * made no measurable difference.
 *
 * What it costs: each connection's encoder buffer is this large, resident once a backlog has
 * filled it.
 */
export const OUT_BATCH_BYTES = 64 * 1024;

// libzmq's draft socket option (zmq.h, ZMQ_BUILD_DRAFT_API); zeromq.js is built with it.
const ZMQ_OUT_BATCH_SIZE = 102;

/** The bound sockets that write every message to their peers: subscribers and workers. */
const BATCHED: ReadonlySet<SocketRole> = new Set<SocketRole>(['publish', 'push']);

/**
 * Sets OUT_BATCH_BYTES on `socket`, before it binds or connects (libzmq copies the option into
 * each connection it makes). A libzmq built without draft options keeps its default.
 */
export function setOutBatch(socket: Socket): void {
  if (capability.draft !== true) return;
  (socket as unknown as { setInt32Option(id: number, value: number): void }).setInt32Option(
    ZMQ_OUT_BATCH_SIZE,
    OUT_BATCH_BYTES,
  );
}

/** The publish and push sockets' batch (BATCHED), before they bind. */
export function batchBoundSocket({ role, socket }: BoundSocket): void {
  if (BATCHED.has(role)) setOutBatch(socket);
}
