import type { ResolvedMonitoringArtifactsOptions } from './monitoring-artifacts-options.interface';
import type { YamlValue } from './yaml.writer';

/** Names of the rule files `prometheus.yml` loads, next to it. */
export const RULE_FILES = ['alerts.yml', 'recording-rules.yml'] as const;

/**
 * `prometheus.yml`: one job per service with a `service` target label, the
 * Alertmanagers and the generated rule files (relative paths: Prometheus reads them next to
 * the configuration file).
 *
 * `honor_labels: true` keeps the `service` label the application already puts on its series;
 * without it Prometheus would rename that label to `exported_service` because the target label
 * has the same name. The target label still names the service on `up` for `ServiceDown`.
 */
export function buildPrometheusConfig(options: ResolvedMonitoringArtifactsOptions): YamlValue {
  return {
    global: {
      scrape_interval: options.scrapeInterval,
      evaluation_interval: options.scrapeInterval,
    },
    scrape_configs: options.scrapeTargets.map(({ service, targets }) => ({
      job_name: service,
      metrics_path: options.metricsPath === '/metrics' ? undefined : options.metricsPath,
      honor_labels: true,
      static_configs: [{ targets, labels: { service } }],
    })),
    alerting:
      options.alertmanagers.length === 0
        ? undefined
        : { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] },
    rule_files: [...RULE_FILES],
  };
}
