import fc from 'fast-check';
import { Deque, MinHeap } from '../src/structures';

describe('Deque', () => {
  it('behaves as an array queue under any push/shift sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer(), { nil: undefined }), { maxLength: 300 }),
        (ops) => {
          const d = new Deque<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op === undefined) expect(d.shift()).toBe(model.shift());
            else {
              d.push(op);
              model.push(op);
            }
            expect(d.length).toBe(model.length);
            expect(d.peek()).toBe(model[0]);
          }
          expect(d.toArray()).toEqual(model);
        },
      ),
    );
  });
});

describe('MinHeap', () => {
  it('pops in ascending key order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 }), (xs) => {
        const h = new MinHeap<number>((x) => x);
        for (const x of xs) h.push(x);
        expect(h.toArray().sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
        const out: number[] = [];
        for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
        expect(h.length).toBe(0);
      }),
    );
  });
});
