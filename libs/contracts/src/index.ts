export { topics, examples } from './topics';
export { demoTopics, DEMO_TOPIC, DEMO_INTERVAL_MS } from './demo';
export { isOrderCreated, isOrderCancelled, orderCreatedFromV1 } from './orders';
export { isPaymentSettled } from './payments';
export { fields } from './validate';

export type { Topics, TopicExamples } from './topics';
export type { OrderCreated, OrderCreatedV1, OrderCancelled } from './orders';
export type { PaymentSettled } from './payments';
export type { FieldKind, Shape } from './validate';
