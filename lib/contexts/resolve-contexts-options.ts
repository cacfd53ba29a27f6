import { OptionReader, optionKeys } from '../config/option-reader';
import type { Problems } from '../config/problems';
import type { ContextsOptions, ResolvedContextsOptions } from './contexts-options.interface';

const CONTEXTS_KEYS = optionKeys({
  enabled: true,
} satisfies Record<keyof ContextsOptions, true>);

/** Validates the `contexts` options, recording every problem. */
export function resolveContextsOptions(raw: unknown, problems: Problems): ResolvedContextsOptions {
  const contexts = OptionReader.of(raw, 'contexts', CONTEXTS_KEYS, problems);
  return { enabled: contexts.boolean('enabled') ?? true };
}
