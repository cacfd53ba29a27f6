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

  it('renders every heading as a heading: each code block is opened with a language and closed', () => {
    const lines = readFileSync(README_PATH, 'utf8').split('\n');
    const problems: string[] = [];
    let open: number | undefined;
    lines.forEach((line, index) => {
      if (!line.startsWith('```')) {
        if (open !== undefined && /^#{1,6} /.test(line) && !/^# /.test(line)) {
          problems.push(
            `line ${index + 1}: heading "${line}" inside the code block of line ${open}`,
          );
        }
        return;
      }
      if (open === undefined) {
        if (line === '```') problems.push(`line ${index + 1}: a code block without a language`);
        open = index + 1;
      } else {
        if (line !== '```')
          problems.push(`line ${index + 1}: "${line}" inside the code block of line ${open}`);
        open = undefined;
      }
    });
    if (open !== undefined) problems.push(`the code block of line ${open} is never closed`);
    expect(problems).toEqual([]);
  });
});
