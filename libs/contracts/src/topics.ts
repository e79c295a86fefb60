import { defineTopics, jsonCodec, msgpackCodec, topic } from '@zmq-mq/protocol';
import type { BodyOf, TopicMap, TopicOf } from '@zmq-mq/protocol';
import type { OrderCancelled, OrderCreated } from './orders';
import { isOrderCancelled, isOrderCreated, orderCreatedFromV1 } from './orders';
import type { PaymentSettled } from './payments';
import { isPaymentSettled } from './payments';

/**
 * The team's topic map: every topic a service of ours sends or receives, with its body type,
 * codec, validator and schema version. Services take the part they use with
 * `topicsWithPrefix(topics, 'orders.')`.
 */
export const topics = defineTopics({
  'orders.created': topic(jsonCodec<OrderCreated>(), {
    version: 2,
    validate: isOrderCreated,
    upgrade: { 1: orderCreatedFromV1 },
  }),
  'orders.cancelled': topic(jsonCodec<OrderCancelled>(), { validate: isOrderCancelled }),
  'payments.settled': topic(msgpackCodec<PaymentSettled>(), { validate: isPaymentSettled }),
});

/** The type of the team's topic map. */
export type Topics = typeof topics;

/** One valid body for each topic of map `M`: the map's own documentation, and test data. */
export type TopicExamples<M extends TopicMap> = { readonly [K in TopicOf<M>]: BodyOf<M, K> };

/** A valid body of each topic (the contract's tests check them; generated services send them). */
export const examples: TopicExamples<Topics> = {
  'orders.created': { orderId: 'o-1', amount: 42, currency: 'EUR' },
  'orders.cancelled': { orderId: 'o-1', reason: 'out of stock' },
  'payments.settled': { paymentId: 'p-1', orderId: 'o-1', amount: 42, currency: 'EUR' },
};
