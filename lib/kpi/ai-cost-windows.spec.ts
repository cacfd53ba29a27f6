import type { AlertClock } from '../alerting/alert-clock';
import { Gauge, Registry } from 'prom-client';
import { AiCostWindows, type CostSpikeEvent } from './ai-cost-windows';

/** A clock the test moves by hand; timers fire when it passes their time. */
class FakeClock implements AlertClock {
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

function setup(start = 10 * HOUR + 30 * MINUTE) {
  const clock = new FakeClock(start);
  const spikes: CostSpikeEvent[] = [];
  const windows = new AiCostWindows(
    [{ label: '1h', ms: HOUR }],
    3,
    { threshold: 2, forMs: 5 * MINUTE },
    clock,
    (event) => spikes.push(event),
  );
  const registry = new Registry();
  const current = new Gauge({
    name: 'cur',
    help: 'h',
    labelNames: ['time_window'],
    registers: [registry],
  });
  const baseline = new Gauge({
    name: 'base',
    help: 'h',
    labelNames: ['time_window'],
    registers: [registry],
  });
  const read = async () => {
    windows.collect(current, baseline);
    const text = await registry.metrics();
    return text.split('\n').filter((line) => line && !line.startsWith('#'));
  };
  return { clock, spikes, windows, read };
}

describe('AI cost windows and the spike detector', () => {
  it('leaves the partial first window out of the baseline, then averages the previous windows', async () => {
    const { clock, windows, read } = setup();
    windows.add(500); // 10:30, the window the process started in
    expect(await read()).toEqual(['cur{time_window="1h"} 500']);
    clock.advance(30 * MINUTE); // 11:00
    windows.add(90);
    expect(await read()).toEqual(['cur{time_window="1h"} 90']);
    clock.advance(HOUR); // 12:00
    windows.add(30);
    expect(await read()).toEqual(['cur{time_window="1h"} 30', 'base{time_window="1h"} 90']);
    clock.advance(2 * HOUR); // 14:00: 11:00 cost 90, 12:00 cost 30, 13:00 nothing
    expect(await read()).toEqual(['cur{time_window="1h"} 0', 'base{time_window="1h"} 40']);
    clock.advance(HOUR); // 15:00: only the last 3 windows count (30, 0, 0)
    expect(await read()).toEqual(['cur{time_window="1h"} 0', 'base{time_window="1h"} 10']);
  });

  it('raises once when the cost stays above 2x the baseline for 5 minutes', () => {
    const { clock, spikes, windows } = setup(10 * HOUR); // a complete window from the start
    windows.add(100);
    clock.advance(HOUR); // 11:00, baseline 100
    windows.add(150);
    windows.add(60); // 210 > 200 at 11:00
    expect(clock.pending).toBe(1);
    clock.advance(5 * MINUTE - 1);
    expect(spikes).toEqual([]);
    clock.advance(1);
    expect(spikes).toEqual([{ currentCents: 210, baselineCents: 100, window: '1h' }]);
    windows.add(500);
    clock.advance(10 * MINUTE);
    expect(spikes).toHaveLength(1);
  });

  it('stays silent at or below 2x the baseline', () => {
    const { clock, spikes, windows } = setup(10 * HOUR);
    windows.add(100);
    clock.advance(HOUR);
    windows.add(200); // exactly 2x: not above
    clock.advance(30 * MINUTE);
    expect(spikes).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('forgets a spike whose window ends before 5 minutes have passed', () => {
    const { clock, spikes, windows } = setup(10 * HOUR);
    windows.add(100);
    clock.advance(HOUR + 58 * MINUTE); // 11:58
    windows.add(300);
    clock.advance(12 * MINUTE); // the check at 12:03 finds another window
    expect(spikes).toEqual([]);
  });

  it('has no baseline, and so no spike, before the first complete window', () => {
    const { clock, spikes, windows } = setup(10 * HOUR);
    windows.add(1_000_000);
    clock.advance(30 * MINUTE);
    expect(spikes).toEqual([]);
    windows.close();
  });
});
