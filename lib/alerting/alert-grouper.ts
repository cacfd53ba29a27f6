import type { TrackedAlert } from './active-alerts';
import type { AlertClock } from './alert-clock';
import type { AlertDispatcher } from './alert-dispatcher';
import { type AlertOrigin, buildNotification } from './alert-notification';
import type { AlertRouter } from './alert-router';
import type { Alert } from './alert.types';

/** Alerts of one route, status and `groupBy` values, waiting for their window to close. */
interface Group {
  status: Alert['status'];
  channels: string[];
  alerts: Map<string, Alert>;
  timer: unknown;
}

/**
 * Hands alert notifications to the dispatcher, batching them per route like Alertmanager's
 * `group_wait`: alerts sharing a route, a status and the route's `groupBy` label values within
 * the window go out as one notification, so an incident paging from many series reads as one
 * message. Routes with no window notify at once.
 * @internal
 */
export class AlertGrouper {
  private readonly groups = new Map<string, Group>();
  /** Set by {@link closeWindows}: from then on every notification goes out at once. */
  private closed = false;

  constructor(
    private readonly dispatcher: Pick<AlertDispatcher, 'isEnabled' | 'enqueue'>,
    private readonly router: Pick<AlertRouter, 'indexOf'>,
    private readonly origin: AlertOrigin,
    private readonly clock: AlertClock,
    /** `alerting.groupWaitMs`, for routes that set none. */
    private readonly defaultGroupWaitMs: number,
  ) {}

  /** Notifies every enabled channel of the routes of `tracked` about its current state. */
  notify(tracked: TrackedAlert): void {
    // One copy for every route: later refreshes change `tracked.alert`, never what is queued.
    const alert = { ...tracked.alert };
    tracked.routes.forEach((route) => {
      const channels = route.channels.filter((name) => this.dispatcher.isEnabled(name));
      if (channels.length === 0) return;
      const wait = this.closed ? 0 : (route.groupWaitMs ?? this.defaultGroupWaitMs);
      if (wait <= 0) {
        for (const channel of channels)
          this.dispatcher.enqueue(
            buildNotification(this.origin, channel, [alert], alert.fingerprint),
          );
        return;
      }
      const groupBy = route.groupBy ?? ['alertname'];
      const values = groupBy.map((l) => (l === 'alertname' ? alert.name : (alert.labels[l] ?? '')));
      const key = `${this.router.indexOf(route)}|${alert.status}|${JSON.stringify(values)}`;
      let group = this.groups.get(key);
      if (!group) {
        group = {
          status: alert.status,
          channels,
          alerts: new Map(),
          timer: this.clock.setTimeout(() => this.flush(key), wait),
        };
        this.groups.set(key, group);
      }
      group.alerts.set(alert.fingerprint, alert);
    });
  }

  /**
   * Sends every open group now, without waiting for its window, and opens no new window
   * (shutdown: the alerts raised during the final flush must not wait for a timer that would
   * fire after it).
   */
  closeWindows(): void {
    this.closed = true;
    for (const key of [...this.groups.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    this.clock.clearTimeout(group.timer);
    const alerts = [...group.alerts.values()];
    for (const channel of group.channels) {
      this.dispatcher.enqueue(buildNotification(this.origin, channel, alerts, key));
    }
  }
}
