/**
 * The console adapter passes the shared adapter contract, driven the way a person (or a script)
 * drives it: lines on stdin, the transcript on stdout.
 */
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { Agent } from '../../src/agent.js';
import type { Conversation } from '../../src/conversation.js';
import { silentLogger } from '../../src/logger.js';
import type { FormView, OutboundMessage } from '../../src/surface.js';
import { runAdapterContract } from '../contract/adapter-contract.js';
import type { AdapterHarness, ContractSubmitResult, ContractWorld, ShownForm } from '../contract/harness.js';

async function consoleHarness(world: ContractWorld): Promise<AdapterHarness> {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (c: Buffer) => {
    transcript += c.toString();
  });
  const agent = new Agent({
    store: world.store,
    servers: world.servers,
    logger: silentLogger(),
    llm: world.llm,
  });
  const adapter = new ConsoleAdapter({ agent, input, output, showProgress: false });
  // Observe what the adapter is asked to show, so scenarios can name forms and links.
  const seen: OutboundMessage[] = [];
  agent.attach({
    platform: 'console',
    post: async (c: Conversation, m: OutboundMessage) => {
      seen.push(m);
      await adapter.post(c, m);
    },
  });
  await agent.start();
  const running = adapter.run();
  const since = new Map<string, number>();
  const printedSince = new Map<string, number>();
  /** What the console printed as Parley's messages (multi-line ones are indented by 8). */
  const printed = (user: string) =>
    [...transcript.slice(printedSince.get(user) ?? 0).matchAll(/parley> (.*(?:\n {8}.*)*)/g)].map((m) =>
      (m[1] as string).replace(/\n {8}/g, '\n'),
    );
  const retryFields = new Map<string, string[]>();

  const after = (user: string) => seen.slice(since.get(user) ?? 0);
  const nth = <K extends 'form' | 'link' | 'confirm'>(user: string, kind: K, n: number) =>
    after(user).filter((m): m is Extract<OutboundMessage, { kind: K }> => m.kind === kind)[n - 1];
  const closedOf = (id: string) => seen.some((m) => m.kind === 'closed' && m.id === id);
  const line = (text: string) => input.write(`${text}\n`);

  /** Waits until the console has either closed the interaction or printed new field errors. */
  async function outcome(id: string, from: number, form?: FormView): Promise<ContractSubmitResult> {
    await expect
      .poll(
        () =>
          closedOf(id) ||
          transcript.slice(from).includes('✗') ||
          /parley> .*(expired|already|isn’t)/.test(transcript.slice(from)),
        {
          timeout: 10_000,
          interval: 20,
        },
      )
      .toBe(true);
    if (closedOf(id)) return { ok: true };
    const errors: Record<string, string> = {};
    for (const m of transcript.slice(from).matchAll(/✗ (.+?): (.+)/g)) {
      const name = form?.form.fields.find((f) => f.label === m[1])?.name ?? (m[1] as string);
      errors[name] = m[2] as string;
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    return { ok: false, message: transcript.slice(from).split('parley> ').at(-1)?.trim() ?? '' };
  }

  return {
    async say(user, text) {
      // A person's window starts at their first message, so nth() counts across their turns.
      if (!since.has(user)) {
        since.set(user, seen.length);
        printedSince.set(user, transcript.length);
      }
      line(text);
    },
    async waitForText(user, pattern) {
      // What the person reads: the console's own output, not what the agent handed it.
      await expect
        .poll(() => printed(user).some((t) => pattern.test(t)), { timeout: 10_000, interval: 20 })
        .toBe(true);
      return printed(user).find((t) => pattern.test(t)) as string;
    },
    async waitForForm(user, n = 1) {
      await expect.poll(() => nth(user, 'form', n), { timeout: 10_000, interval: 20 }).toBeDefined();
      const view = (nth(user, 'form', n) as { view: FormView }).view;
      const options = Object.fromEntries(
        view.form.fields.filter((f) => f.options).map((f) => [f.name, (f.options ?? []).map((o) => o.value)]),
      );
      return { ref: view, fields: view.form.fields.map((f) => f.name), options };
    },
    async submitForm(_actor, shown: ShownForm, values) {
      const view = shown.ref as FormView;
      const from = transcript.length;
      // After errors the console asks again only for the fields that were wrong.
      const names = retryFields.get(view.id) ?? view.form.fields.map((f) => f.name);
      for (const name of names) line(values[name] ?? '');
      const result = await outcome(view.id, from, view);
      if (!result.ok && result.errors) retryFields.set(view.id, Object.keys(result.errors));
      return result;
    },
    async declineForm(_actor, shown) {
      const view = shown.ref as FormView;
      const from = transcript.length;
      line('/decline');
      return outcome(view.id, from);
    },
    async waitForConfirm(user, n = 1) {
      await expect.poll(() => nth(user, 'confirm', n), { timeout: 10_000, interval: 20 }).toBeDefined();
      const view = (nth(user, 'confirm', n) as Extract<OutboundMessage, { kind: 'confirm' }>).view;
      return { ref: view.id, text: `${view.title}\n${view.message}` };
    },
    async answerConfirm(_actor, confirm, yes) {
      const from = transcript.length;
      line(yes ? 'y' : 'n');
      return outcome(confirm.ref as string, from);
    },
    async waitForLink(user, n = 1) {
      await expect.poll(() => nth(user, 'link', n), { timeout: 10_000, interval: 20 }).toBeDefined();
      const view = (nth(user, 'link', n) as Extract<OutboundMessage, { kind: 'link' }>).view;
      // The console prints the link's host; the full link too, except for a URL elicitation, whose
      // link is printed only once the person consents to open it.
      const consent = view.purpose === 'consent';
      await expect
        .poll(
          () =>
            transcript.includes(`Host: ${view.host}`) && transcript.includes(`Link: ${view.url}`) !== consent,
        )
        .toBe(true);
      return { ref: view.id, url: view.url, host: view.host };
    },
    async openLink(_actor, link) {
      const from = transcript.length;
      line('y');
      return outcome(link.ref as string, from);
    },
    async close() {
      line('/quit');
      input.end();
      await running;
      await agent.stop();
    },
  };
}

runAdapterContract('console', consoleHarness, { multiUser: false, canReplay: false });
