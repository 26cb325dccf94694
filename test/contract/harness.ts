/**
 * The adapter contract: one set of scenarios every chat adapter passes (console, Slack, Discord),
 * each through its own platform edge. A harness drives an adapter the way its platform would —
 * a message event, a button click, a modal submit — and reports what the person would see,
 * normalized, so the scenarios read the same for every platform.
 */

import type { ServerConfig } from '../../src/config.js';
import type { Llm } from '../../src/llm.js';
import type { Store } from '../../src/store/index.js';

/** What the scenarios give a harness to build its adapter and agent on. */
export interface ContractWorld {
  /** Servers the agent must use (the real demo MCP server). */
  servers: ServerConfig[];
  /** A real Redis store with a prefix of its own. */
  store: Store;
  /** The scripted LLM, for scenarios that need one (may be undefined). */
  llm?: Llm;
  /** The demo auth server's issuer (its calendar consent page lives there). */
  authUrl: string;
}

/** An interaction as the person sees it; `ref` is whatever the harness needs to act on it. */
export interface ShownForm {
  ref: unknown;
  /** Field names in display order. */
  fields: string[];
  /** Option values of choice fields, by field name. */
  options: Record<string, string[]>;
}

export interface ShownLink {
  ref: unknown;
  url: string;
  /** The host the adapter shows next to the link. */
  host: string;
}

export interface ShownConfirm {
  ref: unknown;
  text: string;
}

export type ContractSubmitResult =
  | { ok: true }
  /** Refused: field errors shown inline, or a message (not yours, already answered, expired). */
  | { ok: false; errors?: Record<string, string>; message?: string };

export interface AdapterHarness {
  /** `user` writes `text` to the bot (mention, DM or console line), through the platform edge. */
  say(user: string, text: string): Promise<void>;
  /** Resolves with the first text shown to `user` (since the scenario began) matching `pattern`. */
  waitForText(user: string, pattern: RegExp): Promise<string>;
  /** The n-th (1-based) form offered to `user`. */
  waitForForm(user: string, nth?: number): Promise<ShownForm>;
  /**
   * `actor` fills in and submits the form (values as the person types them; booleans as
   * 'true'/'false'; missing fields left empty). The actor may differ from the form's owner — the
   * contract checks that's refused.
   */
  submitForm(actor: string, form: ShownForm, values: Record<string, string>): Promise<ContractSubmitResult>;
  declineForm(actor: string, form: ShownForm): Promise<ContractSubmitResult>;
  waitForConfirm(user: string, nth?: number): Promise<ShownConfirm>;
  answerConfirm(actor: string, confirm: ShownConfirm, yes: boolean): Promise<ContractSubmitResult>;
  waitForLink(user: string, nth?: number): Promise<ShownLink>;
  /** The person chooses to open a consent link (URL elicitation `accept`). */
  openLink(actor: string, link: ShownLink): Promise<ContractSubmitResult>;
  close(): Promise<void>;
}

export type HarnessFactory = (world: ContractWorld) => Promise<AdapterHarness>;

/** What a surface can do at all; scenarios that need more are skipped for it, with this reason. */
export interface HarnessCapabilities {
  /** False for surfaces with a single person (the console). */
  multiUser: boolean;
  /**
   * True when a person can send the same answer twice (a button clicked again, a retried
   * delivery). The console asks each form once, so there is nothing to replay.
   */
  canReplay: boolean;
}
