import { systemClock } from './alert-clock';
import { AlertDispatcher } from './alert-dispatcher';
import type { AlertNotification } from './alert.types';
import type { AlertChannel } from './channels/alert-channel.interface';

const notification = (groupKey: string, status: 'firing' | 'resolved'): AlertNotification => ({
  channel: 'ordered',
  status,
  severity: 'critical',
  groupKey,
  alerts: [],
  service: 'svc',
  environment: 'test',
});

/** A dispatcher of `channel` with 8 workers, no retries and silent hooks. */
const dispatcherFor = (channel: AlertChannel): AlertDispatcher =>
  new AlertDispatcher(
    [channel],
    {
      timeoutMs: 1000,
      maxRetries: 0,
      backoffMs: 1,
      maxBackoffMs: 1,
      breakerThreshold: 100,
      breakerCooldownMs: 1,
      queueMaxSize: 1000,
      concurrency: 8,
      clock: systemClock,
    },
    {
      delivered: () => undefined,
      dropped: () => undefined,
      duration: () => undefined,
      retrying: () => undefined,
      circuitOpened: () => undefined,
    },
  );

describe('AlertDispatcher', () => {
  it('never delivers two notifications of one group at once, so a resolve never overtakes its firing', async () => {
    const delivered: string[] = [];
    const inFlight = new Set<string>();
    let overlaps = 0;
    const channel: AlertChannel = {
      name: 'ordered',
      async send(n) {
        if (inFlight.has(n.groupKey)) overlaps++;
        inFlight.add(n.groupKey);
        // The firing of a group takes longer than its resolve: with several workers and no
        // ordering, the resolve would be received first.
        await new Promise((resolve) => setTimeout(resolve, n.status === 'firing' ? 20 : 1));
        inFlight.delete(n.groupKey);
        delivered.push(`${n.groupKey}:${n.status}`);
      },
    };
    const dispatcher = dispatcherFor(channel);
    for (let i = 0; i < 20; i++) {
      dispatcher.enqueue(notification(`g${i}`, 'firing'));
      dispatcher.enqueue(notification(`g${i}`, 'resolved'));
    }
    await dispatcher.whenIdle();
    expect(delivered).toHaveLength(40);
    expect(overlaps).toBe(0);
    for (let i = 0; i < 20; i++) {
      expect(delivered.indexOf(`g${i}:firing`)).toBeLessThan(delivered.indexOf(`g${i}:resolved`));
    }
    await dispatcher.shutdown(100);
  });

  it('starts no worker for notifications whose group is in flight (no spin while they wait)', async () => {
    let release: () => void = () => undefined;
    const sent: string[] = [];
    const channel: AlertChannel = {
      name: 'ordered',
      async send(n) {
        sent.push(`${n.groupKey}:${n.status}`);
        if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const dispatcher = dispatcherFor(channel);
    dispatcher.enqueue(notification('g', 'firing')); // in flight until released
    // Two more of the same group wait: enqueuing them must return (it used to spin forever).
    dispatcher.enqueue(notification('g', 'resolved'));
    dispatcher.enqueue(notification('g', 'firing'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toEqual(['g:firing']);
    release();
    await dispatcher.whenIdle();
    expect(sent).toEqual(['g:firing', 'g:resolved', 'g:firing']);
    await dispatcher.shutdown(100);
  });
});
