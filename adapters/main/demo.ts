/**
 * `npm run demo`: a scripted conversation through the console adapter that shows every
 * interaction pattern against the real demo servers, printed as a readable transcript. It checks
 * that each step produced what it should and exits non-zero if one didn't.
 *
 * Without OPENAI_API_KEY, sampling is answered by a small deterministic stand-in model (the demo
 * needs no account); with a key, the configured model answers.
 */
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { Llm, LlmReply, LlmRequest } from '../../src/llm.js';
import { startParley } from './parley.js';

/** Answers sampling requests by counting the tickets it was shown: enough to demo the round trip. */
export class DemoModel implements Llm {
  readonly description =
    'none — a scripted stand-in answers the demo’s sampling request (set OPENAI_API_KEY for a real model)';
  async complete(request: LlmRequest): Promise<LlmReply> {
    const prompt = request.messages
      .map((m) => ('content' in m && typeof m.content === 'string' ? m.content : ''))
      .join('\n');
    const count = (prompt.match(/T-\d+/g) ?? []).length;
    return {
      content: `(demo model) ${count === 1 ? 'One open ticket' : `${count} open tickets`}; nothing looks urgent.`,
      toolCalls: [],
      model: 'parley-demo-model',
    };
  }
}

/** The script, one input per line; '#' lines are headings the console prints (see ConsoleAdapter). */
export const SCRIPT = `
# 1. A plain tool call
/call demo__echo {"message":"Hello from the Parley demo"}
# 2. V1 legacy form payload: the tool returns a form, Parley asks, then calls it again
/call demo__create_ticket {"initial_description":"The office printer is on fire"}
Ann
high
bug
# 3. V2 form: the tool asks through MCP elicitation (an MRTR round on this modern server)
/call demo__create_ticket_v2 {"initial_description":"VPN drops every hour"}
Bo
urgent
feature
2026-12-24
# 4. A three-step wizard: each form is built from the last answer
/call demo__book_appointment_v2 {}
Dana
2026-12-01
13:00
y
# 5. One form with every field kind (Enter accepts each default)
/call demo__survey {}













# 6. URL mode: consent to open a link; the tool continues when the page is approved
/call demo__connect_calendar {}
y
# 7. A destructive tool is confirmed first
/call demo__delete_ticket {"id":"T-1001"}
y
# 8. Sampling: the server asks Parley's model to summarize
/call demo__summarize_tickets {}
# 9. Sign-in: whoami needs your own account; the demo auth server signs you in as alice
/call demo__whoami {}
/quit
`;

export const EXPECT: Array<[string, RegExp]> = [
  ['echo', /Hello from the Parley demo/],
  ['V1 ticket', /Created ticket T-1001/],
  ['V2 ticket', /T-1002/],
  ['wizard', /Booked: Dana on 2026-12-01 at 13:00/],
  ['survey', /"subscribe":true/],
  ['URL step', /Calendar connected/i],
  ['confirmation', /T-1001.*deleted|deleted.*T-1001/i],
  [
    'sampling',
    /used the language model[\s\S]*demo model|demo model[\s\S]*used the language model|\(demo model\)/,
  ],
];

export interface WalkthroughResult {
  transcript: string;
  /** Steps whose result never appeared. */
  missing: string[];
}

/**
 * Plays {@link SCRIPT} through the console adapter of a full Parley (demo servers, HTTP server,
 * agent) configured by `env`, writing the transcript to `write`.
 */
export async function runWalkthrough(options: {
  env: Record<string, string | undefined>;
  llm?: Llm;
  write?: (text: string) => void;
  extraLines?: string[];
}): Promise<WalkthroughResult> {
  const input = new PassThrough();
  let transcript = '';
  const browserVisits = new Set<string>();
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      transcript += text;
      options.write?.(text);
      // Play the person's browser: open a link once they consented to it.
      for (const m of transcript.matchAll(/Open it in your browser: (\S+)/g)) {
        const url = m[1] as string;
        if (browserVisits.has(url)) continue;
        browserVisits.add(url);
        options.write?.(`        (the demo's browser opens ${url})\n`);
        void fetch(url).catch(() => undefined);
      }
      done();
    },
  });
  const parley = await startParley({
    env: {
      ...options.env,
      PARLEY_CONSOLE: '1',
      // The demo auth server signs in without a page, so the console can follow the link itself.
      AUTH_AUTO_APPROVE: options.env.AUTH_AUTO_APPROVE ?? 'alice',
      PARLEY_FOLLOW_SIGNIN_LINKS: '1',
    },
    input,
    output,
    ephemeralPorts: true,
    echoInput: true,
    ...(options.llm && { llm: options.llm }),
  });
  // '#' lines are headings: the console prints them when it reaches them, between steps.
  const lines = SCRIPT.split('\n').slice(1, -2);
  for (const line of [...lines, ...(options.extraLines ?? []), '/quit']) input.write(`${line}\n`);
  input.end();
  await parley.done;
  await parley.stop();
  return { transcript, missing: EXPECT.filter(([, re]) => !re.test(transcript)).map(([name]) => name) };
}

async function main(): Promise<void> {
  const { missing } = await runWalkthrough({
    env: process.env,
    write: (text) => process.stdout.write(text),
    ...(!process.env.OPENAI_API_KEY && { llm: new DemoModel() }),
  });
  if (missing.length > 0) {
    process.stderr.write(`\nDemo incomplete: no result for ${missing.join(', ')}.\n`);
    process.exit(1);
  }
  process.stdout.write('\nDemo complete: every pattern ran.\n');
  process.exit(0);
}

// Run only as the entry point, so tests can import the walkthrough.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`Demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
