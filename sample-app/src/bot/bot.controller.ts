import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CountCalls, TrackDuration } from 'nestjs-observability';
import { type BotReply, BotService } from './bot.service';
import { parseIncomingMessage } from './incoming-message.dto';

/** The bot's webhook: one chat message in, the reply out. */
@Controller('bot')
export class BotController {
  constructor(private readonly bot: BotService) {}

  /**
   * `POST /bot/messages` `{ userId, text, channel? }` -> 200 `{ reply, usage }`.
   *
   * The metric decorators sit on a route handler: routing and `@HttpCode()` keep working, and
   * a rejected body (400) counts as a call with `status="error"`.
   */
  @Post('messages')
  @HttpCode(HttpStatus.OK)
  @CountCalls()
  @TrackDuration()
  handleMessage(@Body() body: unknown): Promise<BotReply> {
    return this.bot.handleMessage(parseIncomingMessage(body));
  }
}
