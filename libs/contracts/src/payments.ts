import { fields } from './validate';

/** `payments.settled`: money received for an order. */
export interface PaymentSettled {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
}

/** Checks a `payments.settled` body. */
export const isPaymentSettled = fields<PaymentSettled>({
  paymentId: 'string',
  orderId: 'string',
  amount: 'number',
  currency: 'string',
});
