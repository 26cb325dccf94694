/**
 * The console adapter: a terminal chat and the embedded default. It only translates — lines in,
 * neutral messages out — and asks forms field by field. It reads one line per input, so it works
 * the same typed by a person or piped from a script.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { followSignInLink } from '../../src/auth/headless.js';
import type { Actor, Conversation } from '../../src/conversation.js';
import type { AnswerReply, ParleyInbound } from '../../src/inbound.js';
import { type FormField, fieldRecord } from '../../src/interactions/form.js';
import type { ChatSurface, ConfirmView, FormView, LinkView, OutboundMessage } from '../../src/surface.js';
import { unlinked } from '../../src/text.js';

/** The core as the console needs it: the inbound port, and a way to wait for a turn to end. */
export type ConsoleCore = ParleyInbound & { whenIdle(): Promise<void> };

export interface ConsoleAdapterConfig {
  agent: ConsoleCore;
  input: Readable;
  output: Writable;
  user?: string;
  /** Show progress notes ("Running demo · echo…"). */
  showProgress?: boolean;
  /** Echo each input line after its prompt (for readable transcripts of piped input). */
  echoInput?: boolean;
  /**
   * Follow sign-in links headlessly instead of waiting for a browser (PARLEY_FOLLOW_SIGNIN_LINKS=1):
   * only useful against an authorization server that signs in without a person (AUTH_AUTO_APPROVE).
   */
  followSignInLinks?: boolean;
}

type Queued =
  | { kind: 'form'; view: FormView }
  | { kind: 'link'; view: LinkView }
  | { kind: 'confirm'; view: ConfirmView };

export class ConsoleAdapter implements ChatSurface {
  readonly platform = 'console';
  readonly conversation: Conversation;
  private readonly actor: Actor;
  private readonly queue: Queued[] = [];
  private readonly closedIds = new Set<string>();
  private arrival: (() => void) | undefined;
  private readonly lines: string[] = [];
  private lineWaiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private rl: Interface | undefined;

  constructor(private readonly config: ConsoleAdapterConfig) {
    const user = config.user ?? 'you';
    this.conversation = { platform: 'console', workspace: 'local', channel: 'terminal', user };
    this.actor = { platform: 'console', workspace: 'local', user };
  }

  async post(_conversation: Conversation, message: OutboundMessage): Promise<void> {
    switch (message.kind) {
      case 'text':
        this.write(`parley> ${message.text.replace(/\n/g, '\n        ')}\n`);
        return;
      case 'progress':
        if (this.config.showProgress !== false) this.write(`        … ${message.text}\n`);
        return;
      case 'notice':
        this.write(`parley> ${message.text.replace(/\n/g, '\n        ')}\n`);
        return;
      case 'closed':
        this.closedIds.add(message.id);
        return;
      default:
        this.queue.push(message);
        this.arrival?.();
    }
  }

  /** Runs the chat until the input ends (EOF or /quit). */
  async run(): Promise<void> {
    const rl = createInterface({ input: this.config.input, terminal: false });
    this.rl = rl;
    rl.on('line', (line) => {
      if (this.lineWaiter) {
        const w = this.lineWaiter;
        this.lineWaiter = undefined;
        w(line);
      } else this.lines.push(line);
    });
    rl.on('close', () => {
      this.ended = true;
      this.lineWaiter?.(undefined);
    });
    const { agent } = this.config;
    this.write('Parley console — type a message, /help for commands, /quit to leave.\n');
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        if (this.closedIds.has(next.view.id)) continue;
        const keepGoing = await this.handleInteraction(next);
        if (!keepGoing) break;
        await this.settle();
        continue;
      }
      const line = await this.ask('you> ');
      if (line === undefined || line.trim() === '/quit') break;
      if (!line.trim()) continue;
      // '#' lines are comments for scripted sessions: shown as headings, never sent.
      if (line.startsWith('#')) {
        this.write(`\n── ${line.replace(/^#+\s*/, '')} ──\n`);
        continue;
      }
      void agent.message(this.conversation, line);
      await this.settle();
    }
    await agent.whenIdle();
    rl.close();
  }

  /** Waits until the agent has nothing running or something needs the person. */
  private settle(): Promise<void> {
    if (this.queue.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.arrival = undefined;
        resolve();
      };
      this.arrival = done;
      void this.config.agent.whenIdle().then(done);
    });
  }

  private async handleInteraction(item: Queued): Promise<boolean> {
    if (item.kind === 'form') return this.fillForm(item.view);
    if (item.kind === 'confirm') {
      this.write(`\n⚠️  ${item.view.title}\n${indent(item.view.message)}\n`);
      const answer = await this.ask('Confirm? [y/N] ');
      if (answer === undefined) return false;
      this.report(
        await this.config.agent.answer(item.view.id, this.actor, {
          action: /^y(es)?$/i.test(answer.trim()) ? 'approve' : 'decline',
        }),
      );
      return true;
    }
    const view = item.view;
    // A consent link is shown only once consented to; until then its message holds no link either.
    if (view.purpose === 'consent')
      this.write(`\n🔗 ${view.origin}: ${unlinked(view.message)}\n   Host: ${view.host}\n`);
    else this.write(`\n🔗 ${view.origin}: ${view.message}\n   Link: ${view.url}\n   Host: ${view.host}\n`);
    if (view.purpose === 'signin') return this.signIn(view);
    if (view.purpose === 'consent') {
      const answer = await this.ask('Open this link? [y/N] ');
      if (answer === undefined) return false;
      if (/^y(es)?$/i.test(answer.trim())) {
        const reply = await this.config.agent.answer(view.id, this.actor, { action: 'open' });
        if (reply.ok) this.write(`   Open it in your browser: ${view.url}\n`);
        this.report(reply);
      } else this.report(await this.config.agent.answer(view.id, this.actor, { action: 'decline' }));
      return true;
    }
    const answer = await this.ask(
      'Press Enter when you have finished in the browser (or type "no" to give up): ',
    );
    if (answer === undefined) return false;
    if (/^n(o)?$/i.test(answer.trim()))
      this.report(await this.config.agent.answer(view.id, this.actor, { action: 'decline' }));
    else this.report(await this.config.agent.answer(view.id, this.actor, { action: 'done' }));
    return true;
  }

  /** The OAuth callback resumes the turn by itself: nothing to ask, unless following headlessly. */
  private async signIn(view: LinkView): Promise<boolean> {
    if (!this.config.followSignInLinks) {
      this.write('   Open the link in your browser to sign in; I’ll carry on by myself once you have.\n');
      return true;
    }
    this.write('   Following the sign-in link headlessly (PARLEY_FOLLOW_SIGNIN_LINKS)…\n');
    try {
      const page = await followSignInLink(view.url);
      if (!page.ok)
        this.write(`   The sign-in ended on an error page (${page.status}): ${page.text.slice(0, 200)}\n`);
    } catch (err) {
      this.write(
        `   I couldn’t follow the sign-in link: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
    return true;
  }

  private async fillForm(view: FormView): Promise<boolean> {
    const { form } = view;
    this.write(
      `\n📝 ${form.title}\n${indent(form.message)}\n   (Enter keeps the default in [brackets]; type /decline or /cancel to stop.)\n`,
    );
    // No prototype: a field named "__proto__" or "constructor" is an ordinary answer.
    const values = fieldRecord<unknown>();
    let fields = form.fields;
    for (;;) {
      for (const field of fields) {
        const answer = await this.ask(`   ${fieldPrompt(field)}: `);
        if (answer === undefined) {
          this.report(await this.config.agent.answer(view.id, this.actor, { action: 'cancel' }));
          return false;
        }
        const cmd = answer.trim().toLowerCase();
        if (cmd === '/decline' || cmd === '/cancel') {
          this.report(
            await this.config.agent.answer(view.id, this.actor, {
              action: cmd === '/decline' ? 'decline' : 'cancel',
            }),
          );
          return true;
        }
        if (answer.trim() === '' && field.default !== undefined) values[field.name] = field.default;
        else values[field.name] = answer;
      }
      const reply = await this.config.agent.answer(view.id, this.actor, { action: 'submit', values: values });
      if (reply.ok || reply.code !== 'invalid' || !reply.errors) {
        this.report(reply);
        return true;
      }
      const errors = reply.errors;
      for (const [name, message] of Object.entries(errors)) {
        const label = form.fields.find((f) => f.name === name)?.label ?? name;
        this.write(`   ✗ ${label}: ${message}\n`);
      }
      fields = form.fields.filter((f) => Object.hasOwn(errors, f.name));
    }
  }

  private report(reply: AnswerReply): void {
    if (!reply.ok) this.write(`parley> ${reply.message}\n`);
  }

  private ask(prompt: string): Promise<string | undefined> {
    this.write(prompt);
    const take = (line: string | undefined) => {
      if (line === undefined) this.write('\n');
      // Piped input isn't echoed by a terminal: echo it so the transcript reads like a chat.
      else if (this.config.echoInput ?? !(this.config.input as { isTTY?: boolean }).isTTY)
        this.write(`${line}\n`);
      return line;
    };
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(take(buffered));
    if (this.ended) return Promise.resolve(take(undefined));
    return new Promise((resolve) => {
      this.lineWaiter = (line) => resolve(take(line));
    });
  }

  private write(text: string): void {
    this.config.output.write(text);
  }

  close(): void {
    this.rl?.close();
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}

function fieldPrompt(field: FormField): string {
  const hints: string[] = [];
  switch (field.kind) {
    case 'select':
      hints.push(
        (field.options ?? [])
          .map((o) => (o.label === o.value ? o.value : `${o.value}=${o.label}`))
          .join(' | '),
      );
      break;
    case 'multiselect':
      hints.push(`comma-separated: ${(field.options ?? []).map((o) => o.value).join(', ')}`);
      break;
    case 'boolean':
      hints.push('y/n');
      break;
    case 'date':
      hints.push('YYYY-MM-DD');
      break;
    case 'datetime':
      hints.push('YYYY-MM-DDTHH:MM');
      break;
    case 'number':
    case 'integer':
      if (field.minimum !== undefined || field.maximum !== undefined)
        hints.push(`${field.minimum ?? ''}–${field.maximum ?? ''}`);
      hints.push(field.kind);
      break;
    case 'email':
    case 'url':
      hints.push(field.kind);
      break;
    default:
      if (field.maxLength !== undefined) hints.push(`≤${field.maxLength} chars`);
  }
  const def =
    field.default === undefined
      ? ''
      : ` [${Array.isArray(field.default) ? field.default.join(',') : String(field.default)}]`;
  const hint = hints.filter(Boolean).length ? ` (${hints.filter(Boolean).join('; ')})` : '';
  return `${field.label}${field.required ? ' *' : ''}${hint}${def}`;
}
