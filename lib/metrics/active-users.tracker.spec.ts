import { ActiveUsersTracker } from './active-users.tracker';

describe('ActiveUsersTracker', () => {
  it('counts distinct users exactly for small numbers', () => {
    const tracker = new ActiveUsersTracker(300, () => 1_000_000);
    for (const id of ['u1', 'u2', 'u1', 'u3', 'u2', 'u1']) tracker.add(id);
    expect(tracker.estimate()).toBe(3);
  });

  it('is 0 with no activity', () => {
    expect(new ActiveUsersTracker(300).estimate()).toBe(0);
  });

  it.each([1_000, 10_000, 100_000])('estimates %i distinct users within 5%%', (n) => {
    const tracker = new ActiveUsersTracker(300, () => 0);
    for (let i = 0; i < n; i++) tracker.add(`user-${i}`);
    for (let i = 0; i < n; i += 3) tracker.add(`user-${i}`); // repeats change nothing
    expect(Math.abs(tracker.estimate() - n) / n).toBeLessThan(0.05);
  });

  it('forgets users once the window has slid past their last activity', () => {
    let now = 0;
    const tracker = new ActiveUsersTracker(100, () => now);
    tracker.add('old');
    now = 50_000;
    tracker.add('recent');
    tracker.add('old');
    expect(tracker.estimate()).toBe(2);
    now = 120_000; // the first activity of "old" left the window, its second did not
    expect(tracker.estimate()).toBe(2);
    now = 151_000; // both left the window
    expect(tracker.estimate()).toBe(0);
  });

  it('keeps its state at a fixed size whatever the number of users', () => {
    const tracker = new ActiveUsersTracker(300, () => 0);
    const size = () =>
      (tracker as unknown as { slots: Uint8Array[] }).slots.reduce(
        (sum, s) => sum + s.byteLength,
        0,
      );
    const before = size();
    for (let i = 0; i < 200_000; i++) tracker.add(`user-${i}`);
    expect(before).toBe(10 * 4096);
    expect(size()).toBe(before);
  });
});
