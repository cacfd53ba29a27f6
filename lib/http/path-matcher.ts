/**
 * Decides whether a request path is ignored (`http.ignorePaths`): exact strings through one
 * `Set` lookup, patterns through `RegExp#test`. The query string is never part of the match.
 */
export class PathMatcher {
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];
  private prefix: (() => string | undefined) | undefined;

  /**
   * @param paths exact paths and patterns.
   * @param prefix when given, read once at the first request: each exact path is also
   *   ignored under that global prefix (`/api/health` for `/health`).
   */
  constructor(paths: ReadonlyArray<string | RegExp>, prefix?: () => string | undefined) {
    for (const path of paths) {
      if (typeof path === 'string') this.exact.add(path);
      // A global or sticky pattern keeps state between calls of `test`; a copy without it does not.
      else this.patterns.push(new RegExp(path.source, path.flags.replace(/[gy]/g, '')));
    }
    this.prefix = prefix;
  }

  /** `true` when the path of `url` (a request's raw URL) is ignored. */
  matches(url: string | undefined): boolean {
    if (this.prefix) this.applyPrefix();
    if (url === undefined) return false;
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (this.exact.has(path)) return true;
    for (let i = 0; i < this.patterns.length; i++) {
      if (this.patterns[i].test(path)) return true;
    }
    return false;
  }

  private applyPrefix(): void {
    const read = this.prefix;
    this.prefix = undefined;
    let prefix: string | undefined;
    try {
      prefix = read?.();
    } catch {
      return;
    }
    const trimmed = prefix?.replace(/^\/+|\/+$/g, '');
    if (!trimmed) return;
    for (const path of [...this.exact]) this.exact.add(`/${trimmed}${path}`);
  }
}
