import { toLabelNames } from './alertmanager.channel';
import { escapeSlack } from './slack.channel';

describe('vendor text rules', () => {
  it('makes every name a valid Alertmanager label name, losing no value', () => {
    expect(
      toLabelNames({ 'runbook-url': 'a', runbook_url: 'b', '1st.note': 'c', '': 'd', ok: 'e' }),
    ).toEqual({ runbook_url: 'b', runbook_url_2: 'a', _1st_note: 'c', _: 'd', ok: 'e' });
  });

  it("escapes Slack's control characters", () => {
    expect(escapeSlack('<!channel> & <https://x|y>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://x|y&gt;',
    );
  });
});
