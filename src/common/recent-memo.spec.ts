import { recentMemo } from './recent-memo.js';

describe('recentMemo', () => {
  it('computes each distinct key once while it is remembered, and gives the same value back', () => {
    const computed: number[] = [];
    const double = recentMemo((n: number) => {
      computed.push(n);
      return n * 2;
    }, 4);
    expect([1, 2, 1, 1, 3, 2, 3].map(double)).toEqual([2, 4, 2, 2, 6, 4, 6]);
    expect(computed).toEqual([1, 2, 3]);
  });

  it('remembers undefined results too', () => {
    let calls = 0;
    const nothing = recentMemo((key: string) => {
      calls++;
      return key === 'x' ? undefined : key;
    });
    expect([nothing('x'), nothing('x'), nothing('y')]).toEqual([undefined, undefined, 'y']);
    expect(calls).toBe(2);
  });

  it('starts afresh when full, so its memory stays bounded', () => {
    const computed: number[] = [];
    const same = recentMemo((n: number) => {
      computed.push(n);
      return n;
    }, 2);
    [1, 2, 3, 1].forEach(same);
    // 3 did not fit beside 1 and 2: all were forgotten, so 1 is computed again.
    expect(computed).toEqual([1, 2, 3, 1]);
  });

  it('does not remember a key whose computation threw', () => {
    let calls = 0;
    const fails = recentMemo(() => {
      calls++;
      throw new RangeError('no');
    });
    expect(() => fails(1)).toThrow(RangeError);
    expect(() => fails(1)).toThrow(RangeError);
    expect(calls).toBe(2);
  });
});
