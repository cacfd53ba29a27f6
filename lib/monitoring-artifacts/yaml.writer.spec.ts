import { load } from 'js-yaml';
import { toYaml, type YamlValue } from './yaml.writer';

describe('toYaml', () => {
  it('writes block-style YAML with PromQL single-quoted and durations plain', () => {
    expect(
      toYaml({
        groups: [
          {
            name: 'service_alerts',
            interval: '30s',
            rules: [
              {
                alert: 'HighErrorRate',
                expr: 'sum by (service) (rate(errors_total{service="api"}[5m])) > 10',
                for: '5m',
                labels: { severity: 'warning' },
                annotations: { summary: "It's {{ $labels.service }}" },
              },
            ],
          },
        ],
      }),
    ).toBe(
      [
        'groups:',
        '  - name: service_alerts',
        '    interval: 30s',
        '    rules:',
        '      - alert: HighErrorRate',
        `        expr: 'sum by (service) (rate(errors_total{service="api"}[5m])) > 10'`,
        '        for: 5m',
        '        labels:',
        '          severity: warning',
        '        annotations:',
        `          summary: 'It''s {{ $labels.service }}'`,
        '',
      ].join('\n'),
    );
  });

  it('quotes what a reader would otherwise take for another type or structure', () => {
    expect(
      toYaml({
        a: 'true',
        b: '10',
        c: 'no',
        d: 'a: b',
        e: 'x #y',
        f: '',
        g: 'line\nbreak',
        h: '-1',
        i: '1e3',
        j: '*ref',
        k: 'api:9091',
        l: '- item',
      }),
    ).toBe(
      [
        "a: 'true'",
        "b: '10'",
        "c: 'no'",
        "d: 'a: b'",
        "e: 'x #y'",
        "f: ''",
        'g: "line\\nbreak"',
        "h: '-1'",
        "i: '1e3'",
        "j: '*ref'",
        'k: api:9091',
        "l: '- item'",
        '',
      ].join('\n'),
    );
  });

  it('writes empty collections inline, nested lists, and leaves out undefined keys', () => {
    expect(toYaml({ list: [], map: {}, nested: [[1, 2], []], gone: undefined, z: null })).toBe(
      ['list: []', 'map: {}', 'nested:', '  -', '    - 1', '    - 2', '  - []', 'z: null', ''].join(
        '\n',
      ),
    );
  });

  it('reads back as the same data in a YAML parser', () => {
    const value: YamlValue = {
      scrape_configs: [
        {
          job_name: 'api',
          honor_labels: true,
          static_configs: [{ targets: ['api:9091', '10.0.0.1:9091'], labels: { service: 'api' } }],
        },
      ],
      strings: [
        'on',
        'off',
        'yes',
        'null',
        '~',
        '0x1f',
        '.5',
        'a\'b"c\\d',
        '{{ $value }}',
        '%x',
        '@x',
      ],
      numbers: [0, -1.5, 1e21, 0.1],
      weird: { 'key with: colon': 1, '': 2, '10': 3, true: 4 },
    };
    expect(load(toYaml(value))).toEqual(value);
  });

  it('refuses numbers YAML cannot hold', () => {
    expect(() => toYaml({ a: Number.NaN })).toThrow('YAML cannot hold the number NaN.');
  });
});
