import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/transport/memory/clock.js';
import { ManualClock } from '../../../src/transport/memory/manual-clock.js';

describe('ManualClock', () => {
  it('runs timers in due order, ties in creation order, only when advanced', () => {
    const clock = new ManualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push('b'), 20);
    clock.setTimeout(() => seen.push('a'), 10);
    clock.setTimeout(() => seen.push('c'), 20);
    expect(clock.pending).toBe(3);
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(11);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(1020);
  });

  it('runs timers scheduled by timers when they fall within the advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
    }, 5);
    clock.advance(20);
    expect(seen).toEqual([5, 10]);
  });

  it('cancels timers and ignores unknown handles', () => {
    const clock = new ManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 1);
    clock.clearTimeout(handle);
    clock.clearTimeout(12345);
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });
});

describe('systemClock', () => {
  it('runs zero delays on a later turn and lets them be cancelled', async () => {
    const seen: string[] = [];
    systemClock.setTimeout(() => seen.push('immediate'), 0);
    const cancelled = systemClock.setTimeout(() => seen.push('cancelled'), 0);
    systemClock.clearTimeout(cancelled);
    const timer = systemClock.setTimeout(() => seen.push('timer'), 1);
    expect(seen).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['immediate', 'timer']);
    systemClock.clearTimeout(timer);
    expect(systemClock.now()).toBeCloseTo(Date.now(), -2);
  });
});
