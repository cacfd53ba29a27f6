import type { TokenPricingTable } from 'nestjs-observability';

/**
 * US dollars per 1,000 tokens, by model and token type. The same table configures
 * `ObservabilityModule` (which turns `token_spend` into `token_cost_usd_total`) and prices each
 * provider call for `ai_cost_cents_total`, so the two can never disagree.
 */
export const TOKEN_PRICING = {
  'gpt-4': { input: 0.03, output: 0.06 },
  'gpt-4o-mini': { input: 0.00015, output: 0.0006 },
  // DALL-E is priced per image. One image is tracked as one "token", so $0.04 per
  // image is $40 per 1,000.
  'dall-e-3': { image: 40 },
} satisfies TokenPricingTable;

/** Cost in US cents of `tokens` (by token type) on `model`; unpriced types cost nothing. */
export function costInCents(model: string, tokens: Record<string, number>): number {
  const prices: Record<string, number> = (TOKEN_PRICING as TokenPricingTable)[model] ?? {};
  let dollars = 0;
  for (const [type, count] of Object.entries(tokens)) {
    dollars += (count / 1000) * (prices[type] ?? 0);
  }
  return dollars * 100;
}
