import { ActiveUsersTracker } from './active-users.tracker';

const users = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `user-${from + i}`);

function trackerOf(ids: string[], now = () => 1_000_000): ActiveUsersTracker {
  const tracker = new ActiveUsersTracker(300, now);
  for (const id of ids) tracker.add(id);
  return tracker;
}

describe('ActiveUsersTracker snapshots', () => {
  it('estimates a snapshot as the tracker does', () => {
    const tracker = trackerOf(users(0, 500));
    expect(ActiveUsersTracker.estimateSnapshot(tracker.snapshot())).toBe(tracker.estimate());
  });

  it('merges snapshots into the sketch of one tracker that saw every user', () => {
    const a = trackerOf(users(0, 14));
    const b = trackerOf(users(6, 20)); // users 6-13 are active on both
    const union = trackerOf(users(0, 20));
    const merged = ActiveUsersTracker.mergeSnapshots([a.snapshot(), b.snapshot()]);
    expect(merged).toEqual(union.snapshot());
    expect(ActiveUsersTracker.estimateSnapshot(merged)).toBe(20);
    expect(a.estimate() + b.estimate()).toBe(28); // what summing the workers' gauges would say
  });

  it('stays within 5% for large overlapping sets', () => {
    const parts = [users(0, 40_000), users(20_000, 60_000), users(50_000, 100_000)].map((ids) =>
      trackerOf(ids).snapshot(),
    );
    const estimate = ActiveUsersTracker.estimateSnapshot(ActiveUsersTracker.mergeSnapshots(parts));
    expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(0.05);
  });

  it('snapshots only the live window', () => {
    let now = 0;
    const tracker = new ActiveUsersTracker(100, () => now);
    tracker.add('old');
    now = 151_000;
    tracker.add('recent');
    expect(ActiveUsersTracker.estimateSnapshot(tracker.snapshot())).toBe(1);
    expect(ActiveUsersTracker.estimateSnapshot(new ActiveUsersTracker(100).snapshot())).toBe(0);
  });

  it('merges no snapshot into an empty sketch', () => {
    expect(ActiveUsersTracker.estimateSnapshot(ActiveUsersTracker.mergeSnapshots([]))).toBe(0);
  });

  it.each([
    ['another precision', { precision: 14, registers: trackerOf([]).snapshot().registers }],
    ['truncated registers', { precision: 12, registers: 'AAAA' }],
    ['no registers', { precision: 12 }],
    ['not an object', null],
  ])('rejects a snapshot with %s, naming the expected format', (_, snapshot) => {
    expect(() => ActiveUsersTracker.mergeSnapshots([snapshot as never])).toThrow(
      /ActiveUsersTracker snapshot \(precision 12, 4096 base64-encoded registers\)/,
    );
  });
});
