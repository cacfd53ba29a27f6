import { HealthIndicatorService } from '@nestjs/terminus';
import { EventLoopHealthIndicator } from './event-loop.health';

const block = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopHealthIndicator', () => {
  const indicator = new EventLoopHealthIndicator(new HealthIndicatorService(), { maxLagMs: 250 });
  afterEach(() => indicator.stop());

  // No assertion waits for the loop to stay idle: on a loaded machine a real timer can fire
  // late, and then "down" is the right answer. Blocks are what the assertions bound.
  it('is up before any lag was seen', () => {
    indicator.start();
    expect(indicator.check('event_loop')).toEqual({
      event_loop: { status: 'up', lagMs: 0, maxLagMs: 250 },
    });
  });

  it('is down after the loop was blocked past maxLagMs, however late its timer fires', async () => {
    indicator.start();
    block(600);
    await sleep(80);
    const result = indicator.check('event_loop');
    expect(result.event_loop.status).toBe('down');
    expect(result.event_loop.lagMs).toBeGreaterThanOrEqual(500);
  });

  it('sees a block still in progress when checked in the same turn', () => {
    indicator.start();
    block(600);
    expect(indicator.check('event_loop').event_loop.status).toBe('down');
  });
});
