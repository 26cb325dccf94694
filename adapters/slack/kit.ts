/**
 * Block Kit primitives Parley's Slack builders share (messages in messages.ts, the form modal in
 * form-modal.ts, the App Home in home-view.ts): Slack's documented limits, and text and buttons
 * that stay inside them (text is clipped with an ellipsis).
 */
import type { types } from '@slack/bolt';
import { truncate } from '../../src/text.js';

type KnownBlock = types.KnownBlock;

export const LIMITS = {
  modalTitle: 24,
  modalButton: 24,
  modalBlocks: 100,
  messageBlocks: 50,
  blockId: 255,
  sectionText: 3000,
  contextText: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  optionText: 75,
  optionValue: 75,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  textInputLength: 3000,
  staticOptions: 100,
  choiceButtons: 10,
  privateMetadata: 3000,
  fallbackText: 3000,
  /** `markdown` blocks: cumulative over one message (Slack's markdown block reference). */
  markdownText: 12_000,
} as const;

export const plain = (text: string, max: number): types.PlainTextElement => ({
  type: 'plain_text',
  text: truncate(text, max),
  emoji: true,
});
export const mrkdwn = (text: string, max: number): types.MrkdwnElement => ({
  type: 'mrkdwn',
  text: truncate(text, max),
});

export function section(text: string): KnownBlock {
  return { type: 'section', text: mrkdwn(text, LIMITS.sectionText) };
}

export function context(text: string): KnownBlock {
  return { type: 'context', elements: [mrkdwn(text, LIMITS.contextText)] };
}

export function button(
  text: string,
  actionId: string,
  value: string,
  style?: 'primary' | 'danger',
): types.Button {
  return {
    type: 'button',
    text: plain(text, LIMITS.buttonText),
    action_id: actionId,
    value,
    ...(style && { style }),
  };
}

/** "12 min", "3 hours": how long until `expiresAt` (ms), for people. */
export function minutesLeft(expiresAt: number, now: number): string {
  const mins = Math.max(1, Math.round((expiresAt - now) / 60_000));
  return mins >= 120 ? `${Math.round(mins / 60)} hours` : `${mins} min`;
}
