/**
 * Micro benchmark of the reliable port's hot commands: PUBLISH, ACK and DELIVER decoded and
 * encoded, CONFIRM encoded, in batches of 1, 10 and 100 messages of 180 bytes (two frames).
 * Run: npx esbuild libs/protocol/bench/reliable-codec.ts --bundle --platform=node
 *        --outfile=tmp/reliable-codec.js && node tmp/reliable-codec.js
 */
import { randomUUID } from 'node:crypto';
import {
  decodeBrokerCommand,
  decodeClientCommand,
  encodeAck,
  encodeConfirm,
  encodeDeliver,
  encodePublish,
} from '../src';

function bench(name: string, batch: number, fn: () => void): void {
  const commands = Math.ceil(1_000_000 / batch);
  for (let i = 0; i < Math.min(commands, 5000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < commands; i++) fn();
  const ns = Number(process.hrtime.bigint() - start);
  const perCommand = ns / commands / 1000;
  const perMessage = (ns / (commands * batch)).toFixed(0);
  console.log(
    `${name.padEnd(22)} ${perCommand.toFixed(2).padStart(8)} us/command ${perMessage.padStart(6)} ns/message`,
  );
}

for (const batch of [1, 10, 100]) {
  const ids = Array.from({ length: batch }, () => randomUUID());
  const messages = ids.map(() => [Buffer.alloc(100, 0x61), Buffer.alloc(80, 0x62)]);
  const tags = ids.map((_, i) => Date.now() * 1000 + i);
  const items = tags.map((tag, i) => ({ tag, attempt: 1, frames: messages[i] as Buffer[] }));
  const publish = encodePublish(ids, messages);
  const ack = encodeAck(tags);
  const deliver = encodeDeliver('orders', items);
  bench(`decode PUBLISH x${batch}`, batch, () => decodeClientCommand(publish));
  bench(`encode PUBLISH x${batch}`, batch, () => encodePublish(ids, messages));
  bench(`decode ACK x${batch}`, batch, () => decodeClientCommand(ack));
  bench(`encode CONFIRM x${batch}`, batch, () => encodeConfirm(ids));
  bench(`encode DELIVER x${batch}`, batch, () => encodeDeliver('orders', items));
  bench(`decode DELIVER x${batch}`, batch, () => decodeBrokerCommand(deliver));
}
