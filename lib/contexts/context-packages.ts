/** The packages whose contexts the interceptor instruments. */
export const CONTEXT_PACKAGES = [
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/graphql',
] as const;

/**
 * Whether one of {@link CONTEXT_PACKAGES} is installed, found by resolution without loading it.
 * An application without them then pays nothing for the contexts interceptor.
 */
export function hasContextPackage(resolve: (name: string) => string = require.resolve): boolean {
  return CONTEXT_PACKAGES.some((name) => {
    try {
      resolve(name);
      return true;
    } catch {
      return false;
    }
  });
}
