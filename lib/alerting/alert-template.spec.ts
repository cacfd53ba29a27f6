import { renderAlert } from './alert-template';
import { alertFingerprint, type AlertNotification } from './alert.types';

const notification = (extra: Partial<AlertNotification> = {}): AlertNotification => ({
  channel: 'slack',
  status: 'firing',
  severity: 'critical',
  groupKey: 'g',
  service: 'api',
  environment: 'prod',
  alerts: [
    {
      name: 'PaymentFailure',
      severity: 'critical',
      summary: 'Payment pay_1 failed',
      description: 'card declined',
      labels: { error_type: 'card_declined' },
      annotations: { payment_id: 'pay_1' },
      status: 'firing',
      startsAt: new Date(0),
      fingerprint: 'abc',
    },
  ],
  ...extra,
});

describe('renderAlert', () => {
  it('defaults to an Alertmanager-like title and one block per alert', () => {
    expect(renderAlert(notification(), undefined)).toEqual({
      title: '[FIRING:1] PaymentFailure',
      text: 'CRITICAL: Payment pay_1 failed\ncard declined\nLabels: error_type=card_declined',
    });
  });

  it('fills every placeholder; unknown ones become empty', () => {
    const { title, text } = renderAlert(notification({ status: 'resolved' }), {
      title: '{{STATUS}}/{{status}} {{name}} {{severity}} x{{count}} {{service}}@{{environment}}',
      text: '{{summary}}|{{description}}|{{labels.error_type}}|{{annotations.payment_id}}|{{fingerprint}}|{{nope}}',
    });
    expect(title).toBe('RESOLVED/resolved PaymentFailure critical x1 api@prod');
    expect(text).toBe('Payment pay_1 failed|card declined|card_declined|pay_1|abc|');
  });

  it('marks tests and escalations in the title', () => {
    expect(renderAlert(notification({ test: true }), undefined).title).toBe(
      '[TEST] [FIRING:1] PaymentFailure',
    );
    expect(renderAlert(notification({ escalation: true }), { title: () => 'T' }).title).toBe(
      '[ESCALATED] T',
    );
  });
});

describe('alertFingerprint', () => {
  it('is stable, independent of label order, and changes with any label', () => {
    const a = alertFingerprint('A', { x: '1', y: '2' });
    expect(alertFingerprint('A', { y: '2', x: '1' })).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(alertFingerprint('A', { x: '1', y: '3' })).not.toBe(a);
    expect(alertFingerprint('B', { x: '1', y: '2' })).not.toBe(a);
    // No ambiguity between names/labels that concatenate alike.
    expect(alertFingerprint('A', { xy: '1' })).not.toBe(alertFingerprint('A', { x: 'y1' }));
  });
});
