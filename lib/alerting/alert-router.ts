import type { Alert } from './alert.types';
import type { AlertRoute } from './alerting-options.interface';

/**
 * Picks the routes of an alert the way Alertmanager walks its routing tree: the configured
 * routes in order, each matching by severity and labels (`alertname` and `severity` included),
 * stopping at the first match unless it says `continue`.
 * @internal
 */
export class AlertRouter {
  constructor(
    private readonly routes: readonly AlertRoute[],
    /** `alerting.repeatIntervalMs`, for routes that set none. */
    private readonly defaultRepeatIntervalMs: number,
    /**
     * The channels of the default route. Read per alert rather than copied, so the default
     * route always follows the dispatcher's channels.
     */
    private readonly allChannels: () => string[],
  ) {}

  /** The routes that take `alert`, or the default route (every channel). */
  route(alert: Alert): AlertRoute[] {
    const taken: AlertRoute[] = [];
    for (const route of this.routes) {
      const severities = route.severity === undefined ? undefined : [route.severity].flat();
      if (severities && !severities.includes(alert.severity)) continue;
      const match = route.match ?? {};
      const fits = Object.entries(match).every(([label, value]) =>
        label === 'alertname'
          ? alert.name === value
          : label === 'severity'
            ? alert.severity === value
            : alert.labels[label] === value,
      );
      if (!fits) continue;
      taken.push(route);
      if (!route.continue) break;
    }
    return taken.length > 0 ? taken : [{ channels: this.allChannels() }];
  }

  /**
   * How long a still-firing alert on `routes` stays quiet: the shortest of their intervals, so
   * no route hears from it less often than it asked.
   */
  repeatIntervalMs(routes: readonly AlertRoute[]): number {
    return Math.min(...routes.map((r) => r.repeatIntervalMs ?? this.defaultRepeatIntervalMs));
  }

  /**
   * Position of `route` in the configuration (-1 for the default route), which tells apart
   * groups of identical label values on different routes.
   */
  indexOf(route: AlertRoute): number {
    return this.routes.indexOf(route);
  }
}
