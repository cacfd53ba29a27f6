import { Messages } from '../observability.messages';

/** A request hook as Nest's adapters call it: Express `(req, res, next)`, Fastify `(request, reply, done)`. */
type RequestHook = (request: any, response: any, next: (error?: unknown) => void) => unknown;

/** Runs around the rest of one request's hook chain; it must call `proceed` exactly once. @internal */
export type RequestAround = (request: any, response: any, proceed: () => void) => void;

/** Where the adapter hook reports that it switched to its fallback. */
export interface RequestHookLogger {
  warn(message: string): void;
}

interface HookableAdapter {
  onRequestHook?: RequestHook;
  setOnRequestHook?(hook: RequestHook): void;
  getType?(): string;
  getInstance?(): unknown;
}

interface ExpressLike {
  use(middleware: RequestHook): unknown;
}

interface FastifyLike {
  addHook(name: 'onRequest', hook: RequestHook): unknown;
}

/**
 * How the request hooks are reached:
 * - `unverified`: through the adapter's private `onRequestHook`, until the public-API sentinel
 *   sees a request that went through it;
 * - `verified`: the same, proven by one request; the sentinel only passes requests on;
 * - `fallback`: the adapter did not call `onRequestHook`, so the sentinel runs the hooks;
 * - `trusted`: an adapter other than Express or Fastify, where no sentinel can be added.
 */
type Mode = 'unverified' | 'verified' | 'fallback' | 'trusted';

const HOOKS = new WeakMap<object, AdapterRequestHook>();

const passOn: RequestHook = (_request, _response, next) => next();

/**
 * The first per-request step of one Nest HTTP adapter, shared by every capability that needs
 * it (HTTP metrics, the request context and the request log).
 *
 * Nest's Express and Fastify adapters call their private `onRequestHook` field from the first
 * middleware / `onRequest` hook they install in their constructor, before the body parser,
 * CORS, Nest middleware and routing: the cheapest place to see every request. No semver range
 * protects that field, so a public-API sentinel is added next to it (`app.use()` on Express, an
 * `onRequest` hook on Fastify) while Nest has not registered its body parsers and routes yet.
 * The first request the sentinel sees tells whether the adapter called the hook: if so, the
 * sentinel only passes requests on from then on; if not, the sentinel runs the hooks itself,
 * for that request and every later one, and one warning says so.
 */
class AdapterRequestHook {
  private readonly arounds: RequestAround[] = [];
  /** Arounds that run outside every other, whenever they were added (the server span). */
  private readonly outermost: RequestAround[] = [];
  /** A hook the application (or Nest) set with `setOnRequestHook`; it runs inside ours. */
  private appHook: RequestHook | undefined;
  private mode: Mode = 'trusted';
  /** The requests the adapter's hook saw while unverified. */
  private readonly seen = new WeakSet<object>();
  /** The arounds, then the application's hook or `next`: what the adapter's hook runs. */
  private viaAdapter: RequestHook = passOn;
  /** The arounds, then `next`: what the sentinel runs in fallback mode. */
  private viaSentinel: RequestHook = passOn;

  constructor(
    private readonly adapter: HookableAdapter,
    private readonly type: string,
    private readonly logger: RequestHookLogger,
  ) {
    this.appHook = adapter.onRequestHook;
    this.compose();
  }

  /**
   * Starts serving requests. With a sentinel, through the adapter's hook until the first
   * request proves it is called, or through the sentinel at once (with the warning) when the
   * adapter's hook cannot be taken. Without one, through the adapter's hook, trusted.
   * Returns `false` when neither way is open.
   */
  start(hasSentinel: boolean): boolean {
    const claimed = this.claimAdapterHook();
    if (!hasSentinel) return claimed;
    this.mode = claimed ? 'unverified' : 'fallback';
    if (!claimed) this.warn();
    return true;
  }

  /**
   * Adds `around` outside the arounds added before (the last added runs first), or, when
   * `outermost`, outside every other around, added before or after.
   */
  add(around: RequestAround, outermost = false): void {
    (outermost ? this.outermost : this.arounds).unshift(around);
    this.compose();
  }

  /** The sentinel, added through the adapter's public API. */
  readonly sentinel: RequestHook = (request, response, next) => {
    if (this.mode === 'verified') return next();
    if (this.mode === 'unverified') {
      if (this.seen.has(request)) {
        this.mode = 'verified';
        return next();
      }
      this.mode = 'fallback';
      this.warn();
    }
    return this.viaSentinel(request, response, next);
  };

  /**
   * Replaces the adapter's `onRequestHook` with an accessor: reading it gives the hook chain,
   * setting it (`setOnRequestHook`) sets the application's hook, which then runs inside the
   * chain. Returns `false` when the adapter has no such hook or the field cannot be replaced.
   */
  private claimAdapterHook(): boolean {
    if (typeof this.adapter.setOnRequestHook !== 'function') return false;
    const entry: RequestHook = (request, response, next) => {
      if (this.mode === 'fallback') {
        return this.appHook ? this.appHook(request, response, next) : next();
      }
      if (this.mode === 'unverified') this.seen.add(request);
      return this.viaAdapter(request, response, next);
    };
    try {
      Object.defineProperty(this.adapter, 'onRequestHook', {
        configurable: true,
        enumerable: true,
        get: () => (this.mode === 'verified' || this.mode === 'trusted' ? this.viaAdapter : entry),
        set: (hook: RequestHook | undefined) => {
          this.appHook = hook;
          this.compose();
        },
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Nests the arounds once, rather than per request. */
  private compose(): void {
    const chain = (last: RequestHook): RequestHook =>
      [...this.outermost, ...this.arounds].reduceRight<RequestHook>(
        (inner, around) => (request, response, next) =>
          around(request, response, () => inner(request, response, next)),
        last,
      );
    this.viaAdapter = chain(this.appHook ?? passOn);
    this.viaSentinel = chain(passOn);
  }

  private warn(): void {
    this.logger.warn(Messages.adapterRequestHookFallback(this.type));
  }
}

/** Adds `hook` through the public API of the adapter's Express app or Fastify instance. */
function addSentinel(type: string, instance: unknown, hook: RequestHook): boolean {
  try {
    if (type === 'express' && typeof (instance as ExpressLike)?.use === 'function') {
      (instance as ExpressLike).use(hook);
      return true;
    }
    if (type === 'fastify' && typeof (instance as FastifyLike)?.addHook === 'function') {
      (instance as FastifyLike).addHook('onRequest', hook);
      return true;
    }
  } catch {
    // an instance that refuses hooks: the adapter's own hook stays the only way in
  }
  return false;
}

/**
 * Prepares the adapter's first request hook (see `AdapterRequestHook`) once per adapter. Call
 * it as soon as the adapter is known (`HttpAdapterHost.init$`): its public-API fallback must be
 * added before Nest registers the body parsers and routes. Returns `false` when the adapter
 * offers no request hook at all.
 * @internal
 */
export function prepareRequestHook(adapter: unknown, logger: RequestHookLogger): boolean {
  if (typeof adapter !== 'object' || adapter === null) return false;
  if (HOOKS.has(adapter)) return true;
  const target = adapter as HookableAdapter;
  const type = String(target.getType?.() ?? 'unknown');
  const hook = new AdapterRequestHook(target, type, logger);
  const instance = type === 'express' || type === 'fastify' ? target.getInstance?.() : undefined;
  const hasSentinel = instance !== undefined && addSentinel(type, instance, hook.sentinel);
  if (!hook.start(hasSentinel)) return false;
  HOOKS.set(adapter, hook);
  return true;
}

/**
 * Runs `around` first for every request of the adapter (see {@link prepareRequestHook}), so
 * before the body parser, CORS, Nest middleware and routing. A hook the application sets
 * later with `setOnRequestHook` still runs, inside `around`. With `outermost`, `around` also
 * runs outside every around added without it, whenever they are added (the tracing server
 * span, whose context the others must see). Returns `false` when the adapter has no request
 * hook.
 * @internal
 */
export function installAround(
  adapter: unknown,
  around: RequestAround,
  logger: RequestHookLogger,
  outermost = false,
): boolean {
  if (!prepareRequestHook(adapter, logger)) return false;
  HOOKS.get(adapter as object)!.add(around, outermost);
  return true;
}
