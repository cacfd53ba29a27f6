import { load } from 'js-yaml';
import { generateMonitoringArtifacts } from './generate-monitoring-artifacts';
import type { MonitoringArtifactsOptions } from './monitoring-artifacts-options.interface';

async function generate(options: MonitoringArtifactsOptions) {
  const { files } = await generateMonitoringArtifacts(options);
  const text = (path: string) => files.find((f) => f.path === path)!.content;
  const rules = (path: string): any[] =>
    (load(text(path)) as any).groups.flatMap((group: any) => group.rules);
  const panels = files
    .filter((f) => f.path.startsWith('grafana/'))
    .flatMap((f) => JSON.parse(f.content).panels.map((p: any) => [JSON.parse(f.content).title, p]));
  return { alerts: rules('alerts.yml'), recording: rules('recording-rules.yml'), panels };
}

describe('the business rules and panels', () => {
  it('read the OpenAI names everywhere the AI metrics are read with aiNaming "openai"', async () => {
    const { alerts, recording, panels } = await generate({
      prefix: 'luneo_',
      service: 'api',
      aiNaming: 'openai',
    });
    const alert = (name: string) => alerts.find((rule) => rule.alert === name);
    expect(alert('CostSpikeDetected').expr).toBe(
      'sum by (service) (rate(luneo_openai_cost_cents{service="api"}[1h])) / ' +
        'sum by (service) (rate(luneo_openai_cost_cents{service="api"}[1d] offset 1h)) > 2',
    );
    expect(recording.map((rule) => rule.expr).join('\n')).toContain(
      'luneo_openai_request_duration_seconds_bucket{service="api"}',
    );
    const aiCost = panels.filter(([title]: any) => title === 'AI Cost');
    const exprs = aiCost.flatMap(([, p]: any) => p.targets.map((t: any) => t.expr)).join('\n');
    expect(exprs).toContain('luneo_openai_requests_total{service=~"$service"}');
    expect(exprs).toContain('luneo_openai_requests_error_total{service=~"$service"}');
    expect(exprs).not.toMatch(/luneo_ai_(requests|request_duration|cost_cents_total)/);
  });

  it('keep the default names without aiNaming', async () => {
    const { alerts } = await generate({ prefix: 'luneo_' });
    expect(alerts.find((rule) => rule.alert === 'CostSpikeDetected').expr).toContain(
      'luneo_ai_cost_cents_total',
    );
  });

  it('write the business alerts with their defaults, overridable like every alert', async () => {
    const { alerts } = await generate({
      alerts: { QuotaExceeded: { threshold: 95, severity: 'warning' } },
    });
    const rule = (name: string) => alerts.find((r) => r.alert === name);
    expect(rule('QuotaExceeded')).toMatchObject({
      expr: 'quota_utilization > 95',
      for: '5m',
      labels: { severity: 'warning' },
    });
    expect(rule('SlowRequests')).toMatchObject({
      expr:
        'sum by (service, route) (rate(slow_requests_total[5m])) / ' +
        'sum by (service, route) (rate(http_requests_total[5m])) > 0.05',
      labels: { severity: 'warning' },
    });
    expect(rule('AICostAboveBaseline')).toMatchObject({
      for: '5m',
      labels: { severity: 'critical' },
    });
  });

  it('reject an unknown aiNaming and a ratio threshold above 1, naming the field', async () => {
    await expect(
      generateMonitoringArtifacts({
        aiNaming: 'luneo' as never,
        alerts: { SlowRequests: { threshold: 5 } },
      }),
    ).rejects.toThrow(
      /alerts\.SlowRequests\.threshold[\s\S]*aiNaming|aiNaming[\s\S]*alerts\.SlowRequests\.threshold/,
    );
  });
});
