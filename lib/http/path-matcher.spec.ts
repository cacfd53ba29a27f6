import { PathMatcher } from './path-matcher';

describe('PathMatcher', () => {
  it('matches exact paths and patterns without the query string', () => {
    const matcher = new PathMatcher(['/health', /^\/internal\//]);
    expect(matcher.matches('/health')).toBe(true);
    expect(matcher.matches('/health?probe=liveness')).toBe(true);
    expect(matcher.matches('/healthz')).toBe(false);
    expect(matcher.matches('/internal/jobs?x=1')).toBe(true);
    expect(matcher.matches('/api/internal/jobs')).toBe(false);
    expect(matcher.matches(undefined)).toBe(false);
  });

  it('gives stateful (global, sticky) patterns the same answer every time', () => {
    const matcher = new PathMatcher([/^\/a/g, /b$/y]);
    for (let i = 0; i < 3; i++) {
      expect(matcher.matches('/a')).toBe(true);
      expect(matcher.matches('/ab')).toBe(true);
    }
  });

  it('also ignores the exact paths under the global prefix, read at the first request', () => {
    let prefix = '';
    const matcher = new PathMatcher(['/health', /^\/health\//], () => prefix);
    prefix = '/api/'; // set by app.setGlobalPrefix() after the matcher was built
    expect(matcher.matches('/api/health')).toBe(true);
    expect(matcher.matches('/health')).toBe(true);
    expect(matcher.matches('/api/users')).toBe(false);
    expect(matcher.matches('/health/live')).toBe(true);
  });

  it('keeps working when the prefix cannot be read', () => {
    const matcher = new PathMatcher(['/health'], () => {
      throw new Error('no config');
    });
    expect(matcher.matches('/health')).toBe(true);
  });
});
