import type { ActiveAlerts, TrackedAlert } from './active-alerts';
import type { AlertClock } from './alert-clock';
import type { AlertDispatcher } from './alert-dispatcher';
import { type AlertOrigin, buildNotification } from './alert-notification';
import type { AlertRoute } from './alerting-options.interface';

/**
 * Escalates critical alerts nobody acknowledges. Each `escalateTo` entry of the alert's first
 * escalating route (a channel or a list of channels) is the next target, reached
 * `escalateAfterMs` after the previous one while the alert stays firing and unacknowledged.
 * @internal
 */
export class AlertEscalation {
  constructor(
    private readonly dispatcher: Pick<AlertDispatcher, 'isEnabled' | 'enqueue'>,
    /** Where a timer checks that its alert still fires: resolved or replaced ones stop. */
    private readonly active: Pick<ActiveAlerts, 'get'>,
    private readonly origin: AlertOrigin,
    private readonly clock: AlertClock,
  ) {}

  /**
   * How long the escalation chain of a critical alert on `routes` runs, plus one step: an alert
   * must stay active at least that long, or forgetting it would cut its chain short.
   */
  static spanMs(routes: readonly AlertRoute[]): number {
    const route = routes.find((r) => r.escalateAfterMs && r.escalateTo?.length);
    if (!route) return 0;
    return (route.escalateAfterMs as number) * ((route.escalateTo?.length ?? 0) + 1);
  }

  /** Arms the timer of escalation level `level` of `tracked`, when it has one. */
  schedule(tracked: TrackedAlert, level = 0): void {
    if (tracked.alert.severity !== 'critical') return;
    const route = tracked.routes.find((r) => r.escalateAfterMs && r.escalateTo?.length);
    const levels = route?.escalateTo ?? [];
    if (!route || level >= levels.length) return;
    tracked.escalation = this.clock.setTimeout(() => {
      tracked.escalation = undefined;
      const current = this.active.get(tracked.alert.fingerprint);
      if (current !== tracked || tracked.alert.acknowledgedBy) return;
      for (const channel of [levels[level]].flat()) {
        if (!this.dispatcher.isEnabled(channel)) continue;
        this.dispatcher.enqueue(
          buildNotification(
            this.origin,
            channel,
            [{ ...tracked.alert }],
            tracked.alert.fingerprint,
            { escalation: true },
          ),
        );
      }
      this.schedule(tracked, level + 1);
    }, route.escalateAfterMs as number);
  }

  /** Stops the escalation of `tracked` (acknowledged, resolved or shutting down). */
  cancel(tracked: TrackedAlert): void {
    this.clock.clearTimeout(tracked.escalation);
    tracked.escalation = undefined;
  }
}
