import { asFields, requireOneOf, requireString } from '../common/request-body.util';

/** Channels the bot listens on; `channel` is a metric label, so the list is closed. */
export const CHANNELS = ['telegram', 'web'] as const;

/** Chat channel of a message. */
export type Channel = (typeof CHANNELS)[number];

/** One incoming chat message (`POST /bot/messages`). */
export interface IncomingMessageDto {
  userId: string;
  text: string;
  /** @default 'telegram' */
  channel: Channel;
}

/** Validates the body of `POST /bot/messages`; throws a 400 on bad input. */
export function parseIncomingMessage(body: unknown): IncomingMessageDto {
  const fields = asFields(body);
  return {
    userId: requireString(fields, 'userId', 64),
    text: requireString(fields, 'text', 4000),
    channel: requireOneOf(fields, 'channel', CHANNELS, 'telegram'),
  };
}
