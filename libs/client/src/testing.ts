/**
 * Test helpers for code that uses the SDK: the repository's bounded waits, from
 * `@zmq-mq/protocol/testing` (one set for every package); a stand-in broker; programs under
 * test as child processes, the built broker among them.
 */
export {
  DEFAULT_WAIT_MS,
  waitFor,
  withTimeout,
  probeUntil,
  nextEvent,
  take,
  Closer,
  freePort,
  freeEndpoint,
} from '@zmq-mq/protocol/testing';
export type { WaitSubject, EventSource } from '@zmq-mq/protocol/testing';

export { StandInBroker } from './stand-in-broker';
export { Program, startBrokerProgram } from './testing/programs';
export type {
  PublishVerdict,
  StandInOptions,
  StandInQueue,
  StoredMessage,
  Received,
} from './stand-in-broker';
export type { ProgramExit, BrokerProgram } from './testing/programs';
