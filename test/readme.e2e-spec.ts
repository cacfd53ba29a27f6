import { readFileSync } from 'node:fs';
import { README_PATH, withMetricsReference } from '../scripts/metrics-reference';

describe('README', () => {
  it('lists every built-in metric exactly as the catalog declares it', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    if (withMetricsReference(readme) !== readme) {
      throw new Error(
        'The metrics reference in README.md is stale: run `npm run docs` and commit README.md.',
      );
    }
  });
});
