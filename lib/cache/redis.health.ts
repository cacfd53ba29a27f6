import type { HealthCheckResult } from '../health/health-options.interface';

interface RedisPingTarget {
  status?: string;
  ping?: () => Promise<unknown>;
}

/**
 * The health check of an ioredis client: `PING`. A client that is not connected is down at
 * once with its connection status (a `PING` would wait in ioredis's offline queue until the
 * timeout). @internal
 */
export function redisPing(client: object, name: string): () => Promise<HealthCheckResult> {
  const redis = client as RedisPingTarget;
  return async () => {
    if (redis.status !== undefined && redis.status !== 'ready') {
      return {
        [name]: { status: 'down', message: `Redis is not connected (status "${redis.status}").` },
      };
    }
    if (typeof redis.ping !== 'function') {
      return { [name]: { status: 'down', message: 'The client has no ping().' } };
    }
    const reply = await redis.ping();
    return reply === 'PONG'
      ? { [name]: { status: 'up' } }
      : { [name]: { status: 'down', message: `PING answered ${JSON.stringify(reply)}.` } };
  };
}
