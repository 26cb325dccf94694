/**
 * A person's message, from the inbound port to a turn: counted against fair use where every
 * message enters (limits.ts), then either a direct command (commands.ts; `/call` is a turn, held
 * one at a time per conversation) or a conversation with the model (runner.ts). Each message is
 * traced as one turn; a failure becomes one sentence to the person, never a throw.
 */
import type { Commands } from '../commands.js';
import { parseCommand } from '../commands.js';
import type { Conversation } from '../conversation.js';
import type { Presenter } from '../interactions/presenter.js';
import { metrics } from '../observability/metrics.js';
import { withSpan } from '../observability/tracing.js';
import type { TurnLimits } from './limits.js';
import type { TurnRunner } from './runner.js';
import type { RunningTurns } from './running.js';

export interface IncomingMessagesOptions {
  limits: TurnLimits;
  presenter: Presenter;
  commands: Commands;
  runner: TurnRunner;
  running: RunningTurns;
  /** A language model is configured; without one only direct commands work. */
  hasLlm: boolean;
}

export class IncomingMessages {
  constructor(private readonly o: IncomingMessagesOptions) {}

  /** Handles one message or command (ParleyInbound.message). Never throws. */
  handle(conversation: Conversation, text: string): Promise<void> {
    const { limits, presenter, commands, runner, running } = this.o;
    // One trace per turn (OpenTelemetry, when configured).
    return running.track(() =>
      withSpan('parley.turn', { 'parley.platform': conversation.platform }, async () => {
        try {
          const trimmed = text.trim();
          const command = parseCommand(trimmed);
          // Fair use is counted where every message enters, whichever process receives it.
          const refusal = trimmed ? await limits.admit(conversation, !command) : undefined;
          if (refusal) {
            metrics.turn(conversation.platform, 'limited');
            await presenter.say(conversation, refusal);
            return;
          }
          if (command)
            // A tool call is a turn: one at a time per conversation. Other commands answer at once.
            return command.name === '/call'
              ? await running.leased(conversation, 0, () => commands.run(conversation, command, trimmed))
              : await commands.run(conversation, command, trimmed);
          if (!trimmed) return;
          if (!this.o.hasLlm) {
            await presenter.say(
              conversation,
              'No language model is configured, so I can only run direct commands. Try `/tools` or `/help`, or set OPENAI_API_KEY.',
            );
            return;
          }
          await runner.converse(conversation, trimmed);
        } catch (err) {
          await running.fail(conversation, err);
        }
      }),
    );
  }
}
