import { maskUrl } from '../config/problems';

/** One series of an instant vector: its labels (without `__name__`) and value. */
export interface VectorSeries {
  labels: Record<string, string>;
  value: number;
}

/** One series of a range vector: its labels and raw samples, oldest first. */
export interface MatrixSeries {
  labels: Record<string, string>;
  values: number[];
}

/** Prometheus could not be reached, timed out, or refused a query; the message says which. */
export class PrometheusApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusApiError';
  }
}

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

function labelsOf(metric: Record<string, string> | undefined): Record<string, string> {
  const { __name__: _name, ...labels } = metric ?? {};
  return labels;
}

/**
 * A small client of the Prometheus HTTP API: instant queries (`POST /api/v1/query`) at a given
 * time, each bounded by a timeout. Errors name the server (credentials masked) and the query.
 */
export class PrometheusApiClient {
  private readonly endpoint: string;
  private readonly authorization: string | undefined;

  /**
   * @param baseUrl e.g. `http://prometheus:9090` (a path prefix such as `/prom` is kept);
   *   credentials in it (`http://user:password@host`) are sent as HTTP Basic authentication
   * @param timeoutMs longest wait for one query
   */
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(baseUrl);
    this.authorization =
      url.username || url.password
        ? `Basic ${Buffer.from(
            `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
          ).toString('base64')}`
        : undefined;
    url.username = '';
    url.password = '';
    this.endpoint = `${url.toString().replace(/\/+$/, '')}/api/v1/query`;
  }

  /** Evaluates `expr` at `time` (Unix seconds): an instant vector. */
  async vector(expr: string, time: number): Promise<VectorSeries[]> {
    const data = await this.query(expr, time, 'vector');
    return (data as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      labels: labelsOf(s.metric),
      value: Number(s.value[1]),
    }));
  }

  /** Evaluates a range selector such as `x[1h]` at `time`: the raw samples of each series. */
  async matrix(expr: string, time: number): Promise<MatrixSeries[]> {
    const data = await this.query(expr, time, 'matrix');
    return (data as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
      labels: labelsOf(s.metric),
      values: s.values.map((v) => Number(v[1])),
    }));
  }

  private async query(expr: string, time: number, expected: string): Promise<unknown> {
    const where = maskUrl(this.baseUrl);
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: new URLSearchParams({ query: expr, time: String(time) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const failure = error as Error & { cause?: { message?: string } };
      // fetch() says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is its cause.
      const reason = failure?.cause?.message ?? failure?.message ?? String(error);
      throw new PrometheusApiError(
        failure?.name === 'TimeoutError'
          ? `Prometheus at ${where} did not answer within ${this.timeoutMs} ms (query ${expr}).`
          : `Prometheus at ${where} cannot be reached: ${maskUrl(reason)}.`,
      );
    }
    let answer: ApiAnswer;
    try {
      answer = (await response.json()) as ApiAnswer;
    } catch {
      throw new PrometheusApiError(
        `Prometheus at ${where} answered ${response.status} without a JSON body: is it a Prometheus server?`,
      );
    }
    if (answer.status !== 'success') {
      throw new PrometheusApiError(
        `Prometheus at ${where} answered ${response.status} to ${expr}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no detail'}.`,
      );
    }
    if (answer.data?.resultType !== expected || !Array.isArray(answer.data.result)) {
      throw new PrometheusApiError(
        `Prometheus at ${where} answered a ${answer.data?.resultType ?? 'missing'} result to ${expr}, expected a ${expected}.`,
      );
    }
    return answer.data.result;
  }
}
