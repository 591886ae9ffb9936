import { describe, expect, it } from 'vitest';
import { ByteGate } from '../src/audit/byte-gate.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ByteGate', () => {
  it('lets items in while they fit, and one larger than the budget when nothing is held', async () => {
    const gate = new ByteGate(10);
    await gate.acquire(4);
    await gate.acquire(6);
    expect(gate.bytesHeld).toBe(10);
    let inside = false;
    const big = gate.acquire(50).then(() => (inside = true));
    await tick();
    expect(inside).toBe(false);
    gate.release(4);
    await tick();
    expect(inside).toBe(false);
    gate.release(6);
    await big;
    expect(gate.bytesHeld).toBe(50);
  });

  it('serves in arrival order: a large item waiting is not overtaken by small ones', async () => {
    const gate = new ByteGate(10);
    await gate.acquire(8);
    const order: string[] = [];
    const large = gate.acquire(9).then(() => order.push('large'));
    const small = gate.acquire(1).then(() => order.push('small'));
    await tick();
    // The small one would fit (8 + 1 <= 10) but arrived after the large one.
    expect(order).toEqual([]);
    gate.release(8);
    await Promise.all([large, small]);
    expect(order).toEqual(['large', 'small']);
    expect(gate.bytesHeld).toBe(10);
  });

  it('adjusts to a size learnt later, waking waiters when it shrinks', async () => {
    const gate = new ByteGate(10);
    await gate.acquire(5);
    gate.adjust(5);
    let inside = false;
    const next = gate.acquire(3).then(() => (inside = true));
    await tick();
    expect(inside).toBe(false);
    gate.adjust(-4);
    await next;
    expect(gate.bytesHeld).toBe(9);
  });
});
