import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  ROOT,
  checkLinks,
  compileSamples,
  documentationFiles,
  extractSamples,
} from '../scripts/docs-check';
import { REFERENCE_PATH, withMetricsReference } from '../scripts/metrics-reference';

describe('documentation', () => {
  const files = documentationFiles();

  it('has a short README and one page per capability', () => {
    const pages = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
    expect(pages).toEqual(
      expect.arrayContaining([
        'README.md',
        'metrics.md',
        'decorators.md',
        'http.md',
        'queues.md',
        'health.md',
        'logging.md',
        'errors.md',
        'alerting.md',
        'rules-and-dashboards.md',
        'outside-nest.md',
        'performance.md',
        'security.md',
        'CHANGELOG.md',
      ]),
    );
    expect(readFileSync(files[0], 'utf8').split('\n').length).toBeLessThan(200);
  });

  it('lists every built-in metric exactly as the catalog declares it', () => {
    const page = readFileSync(REFERENCE_PATH, 'utf8');
    if (withMetricsReference(page) !== page) {
      throw new Error(
        'The metrics reference in docs/metrics.md is stale: run `npm run docs` and commit it.',
      );
    }
  });

  it('has relative links that all resolve, to a file and to a heading', () => {
    expect(checkLinks(files)).toEqual([]);
  });

  it('has TypeScript samples that all type-check against the library', () => {
    const samples = files.flatMap((f) => extractSamples(f));
    expect(samples.length).toBeGreaterThan(20);
    const problems = compileSamples(samples).map((p) => `${p.file}:${p.line}: ${p.message}`);
    expect(problems).toEqual([]);
  }, 120_000);

  it('never names the documents the product was specified from', () => {
    const offenders = files.filter((f) => /\bseeds?\b/i.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
