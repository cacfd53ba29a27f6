import type { Alert } from './alert.types';
import type { AlertRoute } from './alerting-options.interface';

/** How many resolved alerts `GET /alerts` and `GET /alerts/history` still list. */
export const HISTORY_SIZE = 100;

/** A firing alert and what the service needs to repeat, resolve and escalate it. @internal */
export interface TrackedAlert {
  alert: Alert;
  routes: AlertRoute[];
  lastSentAt: number;
  /** When it was last raised (`send()`), sent or deduplicated: its TTL runs from there. */
  lastSeenAt: number;
  repeatIntervalMs: number;
  /** How long it stays active without being raised again. */
  ttlMs: number;
  /** Handle of the pending escalation timer, if any. */
  escalation: unknown;
}

/**
 * The firing alerts by fingerprint, and the last resolved ones. Callers always get copies of
 * the alerts, so the admin API can never change what is delivered.
 *
 * Besides the map in firing order, the alerts are kept in two recency lists (critical, and the
 * rest), least recently raised first, so that making room when the set is full picks its victim
 * in constant time: alerting must keep accepting new alerts however many were never resolved.
 * @internal
 */
export class ActiveAlerts {
  private readonly active = new Map<string, TrackedAlert>();
  private readonly critical = new Map<string, TrackedAlert>();
  private readonly others = new Map<string, TrackedAlert>();
  private readonly history: Alert[] = [];

  /** Number of firing alerts. */
  get size(): number {
    return this.active.size;
  }

  /** The firing alert of `fingerprint`. */
  get(fingerprint: string): TrackedAlert | undefined {
    return this.active.get(fingerprint);
  }

  /** Starts tracking a newly firing alert. */
  add(tracked: TrackedAlert): void {
    this.active.set(tracked.alert.fingerprint, tracked);
    this.recency(tracked).set(tracked.alert.fingerprint, tracked);
  }

  /** Records that `tracked` was raised again at `now` (its severity may have changed). */
  touch(tracked: TrackedAlert, now: number): void {
    const fingerprint = tracked.alert.fingerprint;
    tracked.lastSeenAt = now;
    // Delete then set: a Map keeps insertion order, so this moves it to the recent end.
    if (!this.critical.delete(fingerprint)) this.others.delete(fingerprint);
    this.recency(tracked).set(fingerprint, tracked);
  }

  /** Whether `tracked` outlived its TTL at `now`. */
  isStale(tracked: TrackedAlert, now: number): boolean {
    return now - tracked.lastSeenAt >= tracked.ttlMs;
  }

  /** Stops tracking the alert of `fingerprint` and keeps its `resolved` form in the history. */
  retire(fingerprint: string, resolved: Alert): void {
    this.forget(fingerprint);
    this.history.push(resolved);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
  }

  /** Stops tracking the alert of `fingerprint` without a history entry (expired, evicted). */
  forget(fingerprint: string): void {
    this.active.delete(fingerprint);
    if (!this.critical.delete(fingerprint)) this.others.delete(fingerprint);
  }

  /** The alerts whose TTL ran out at `now` (still tracked: the caller forgets them). */
  stale(now: number): TrackedAlert[] {
    const stale: TrackedAlert[] = [];
    for (const tracked of this.active.values()) {
      if (this.isStale(tracked, now)) stale.push(tracked);
    }
    return stale;
  }

  /**
   * The alert to forget to make room: the least recently raised non-critical one, else (only
   * when `criticalToo`) the least recently raised critical one.
   */
  leastRecent(criticalToo: boolean): TrackedAlert | undefined {
    const other = this.others.values().next();
    if (!other.done) return other.value;
    return criticalToo ? this.critical.values().next().value : undefined;
  }

  /** Every firing alert, tracked. */
  values(): IterableIterator<TrackedAlert> {
    return this.active.values();
  }

  /** Copies of the firing alerts. */
  firing(): Alert[] {
    return [...this.active.values()].map((tracked) => ({ ...tracked.alert }));
  }

  /** Copies of the last resolved alerts, oldest first. */
  resolved(): Alert[] {
    return this.history.map((a) => ({ ...a }));
  }

  private recency(tracked: TrackedAlert): Map<string, TrackedAlert> {
    return tracked.alert.severity === 'critical' ? this.critical : this.others;
  }
}
