import type { IncomingMessage } from 'node:http';

/** The parts of Express 5 (and its `router` package) that route resolution reads. */
interface ExpressRoute {
  path?: unknown;
  methods?: Record<string, boolean>;
  _handlesMethod?(method: string): boolean;
}
interface ExpressLayer {
  route?: ExpressRoute;
  match?(path: string): boolean;
}
interface ExpressRequest extends IncomingMessage {
  route?: ExpressRoute;
  baseUrl?: string;
  originalUrl?: string;
  app?: { router?: { stack?: ExpressLayer[] }; _router?: { stack?: ExpressLayer[] } };
}

/** The route's path, without the trailing slash of the variant Nest also registers. */
const templateOf = (route: ExpressRoute): string | undefined => {
  const path = route.path;
  if (typeof path !== 'string') return undefined;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
};

/**
 * Whether `route` is a Nest middleware rather than a handler: `consumer.apply(...).forRoutes('*')`
 * registers middleware as an all-methods route on a wildcard path (`/api/{*path}`), which Express
 * sets as `req.route` while the middleware runs.
 */
const isMiddlewareRoute = (route: ExpressRoute, template: string): boolean => {
  if (!template.includes('*')) return false;
  const methods = route.methods;
  // Express 5's `app.all()` lists every method; the router's `route.all()` sets `_all`.
  return (
    methods?._all === true ||
    (methods?.get === true &&
      methods.post === true &&
      methods.delete === true &&
      methods.patch === true &&
      methods.options === true)
  );
};

/**
 * The route template Express matched for `req` (`/api/v1/users/:id`, with the global prefix
 * and version Nest registered it under), or `undefined` when no route matched.
 *
 * A request answered before routing (body-parser 400/413, a middleware's error, CORS) has no
 * `req.route`; its path is then matched against the app's route layers, off the hot path.
 */
export function expressRouteOf(request: IncomingMessage): string | undefined {
  const req = request as ExpressRequest;
  const route = req.route;
  if (route) {
    const template = templateOf(route);
    if (template !== undefined && !isMiddlewareRoute(route, template)) {
      return req.baseUrl ? req.baseUrl + template : template;
    }
  }
  return lookUpRoute(req);
}

function lookUpRoute(req: ExpressRequest): string | undefined {
  const stack = req.app?.router?.stack ?? req.app?._router?.stack;
  const url = req.originalUrl ?? req.url;
  if (!stack || !url) return undefined;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const method = req.method ?? 'GET';
  for (const layer of stack) {
    const route = layer.route;
    if (!route || typeof layer.match !== 'function') continue;
    try {
      if (!layer.match(path)) continue;
      if (route._handlesMethod && !route._handlesMethod(method)) continue;
    } catch {
      continue;
    }
    const template = templateOf(route);
    if (template !== undefined && !isMiddlewareRoute(route, template)) return template;
  }
  return undefined;
}
