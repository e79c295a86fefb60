import { fields } from './validate';

/** `orders.created` at schema version 1, before orders had a currency. */
export interface OrderCreatedV1 {
  orderId: string;
  amount: number;
}

/** `orders.created` at schema version 2 (current): the amount's currency, ISO 4217. */
export interface OrderCreated extends OrderCreatedV1 {
  currency: string;
}

/** `orders.cancelled`: an order that will not be fulfilled, and why. */
export interface OrderCancelled {
  orderId: string;
  reason: string;
}

/** Checks an `orders.created` body at version 2. */
export const isOrderCreated = fields<OrderCreated>({
  orderId: 'string',
  amount: 'number',
  currency: 'string',
});

const isOrderCreatedV1 = fields<OrderCreatedV1>({ orderId: 'string', amount: 'number' });

/** Orders created before version 2 were all in euros. */
export function orderCreatedFromV1(body: unknown): OrderCreated {
  return { ...isOrderCreatedV1(body), currency: 'EUR' };
}

/** Checks an `orders.cancelled` body. */
export const isOrderCancelled = fields<OrderCancelled>({ orderId: 'string', reason: 'string' });
