import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMonitoringArtifacts } from 'nestjs-observability';
import { describeWithBinaries, findBinary, runTool } from './utils/prometheus';

const UNIT_TESTS = join(__dirname, 'prometheus', 'database-cache.test.yml');

describeWithBinaries(['promtool'], 'the database and cache rules under promtool', () => {
  let dir: string;
  const promtool = (...args: string[]) => runTool(findBinary('promtool')!, args, { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'database-cache-rules-'));
    await generateMonitoringArtifacts({
      out: dir,
      prefix: 'luneo_',
      service: 'api',
      runbookUrl: 'https://runbooks.example.com/alerts',
    });
    copyFileSync(UNIT_TESTS, join(dir, 'database-cache.test.yml'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes promtool check rules', async () => {
    const result = await promtool('check', 'rules', 'alerts.yml', 'recording-rules.yml');
    expect(result.stdout).toContain('SUCCESS: 22 rules found');
    expect(result.code).toBe(0);
  });

  it('fires pool exhaustion, database errors, slow queries, query timeouts and low cache hit rate on series past their thresholds, none on healthy series (promtool test rules)', async () => {
    const result = await promtool('test', 'rules', 'database-cache.test.yml');
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });
});
