import { LOG_BURST_LINES, LOG_LINES_PER_SECOND, LogBudget } from '../src/log-budget';

describe('LogBudget', () => {
  it('lets a burst through, then a few lines a second, each saying how many were not logged', () => {
    let now = 0;
    const budget = new LogBudget(() => now);
    for (let i = 0; i < LOG_BURST_LINES; i++) expect(budget.take('refused')).toBe(0);
    for (let i = 0; i < 100; i++) expect(budget.take('refused')).toBeUndefined();
    expect(budget.take('connected')).toBe(0); // kinds have budgets of their own
    now += 1000 / LOG_LINES_PER_SECOND;
    expect(budget.take('refused')).toBe(100);
    expect(budget.take('refused')).toBeUndefined();
    now += 3_600_000; // refills up to the burst, no further
    for (let i = 0; i < LOG_BURST_LINES; i++) expect(budget.take('refused')).toBe(i === 0 ? 1 : 0);
    expect(budget.take('refused')).toBeUndefined();
  });
});
