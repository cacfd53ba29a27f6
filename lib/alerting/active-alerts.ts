import type { Alert } from './alert.types';
import type { AlertRoute } from './alerting-options.interface';

/** How many resolved alerts `GET /alerts` still lists. */
const HISTORY_SIZE = 100;

/** A firing alert and what the service needs to repeat, resolve and escalate it. @internal */
export interface TrackedAlert {
  alert: Alert;
  routes: AlertRoute[];
  lastSentAt: number;
  repeatIntervalMs: number;
  /** Handle of the pending escalation timer, if any. */
  escalation: unknown;
}

/**
 * The firing alerts by fingerprint, and the last resolved ones. Callers always get copies of
 * the alerts, so the admin API can never change what is delivered.
 * @internal
 */
export class ActiveAlerts {
  private readonly active = new Map<string, TrackedAlert>();
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
  }

  /** Stops tracking the alert of `fingerprint` and keeps its `resolved` form in the history. */
  retire(fingerprint: string, resolved: Alert): void {
    this.active.delete(fingerprint);
    this.history.push(resolved);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
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
}
