import { defineTopics, rawCodec, topic } from '@zmq-mq/protocol';

/** The original design's demo: `abc hello<seconds since the epoch>`, raw bytes. */
export const demoTopics = defineTopics({ abc: topic(rawCodec()) });

/** The demo producer's topic. */
export const DEMO_TOPIC = 'abc' satisfies keyof typeof demoTopics;

/** The demo producer's pause between messages, in ms. */
export const DEMO_INTERVAL_MS = 1000;
