/**
 * The console as a newcomer meets it (issue 16 §1), driven through piped input like a script or
 * a person: what a form shows, the commands typed inside it, a form that closes mid-way, a V1
 * tool that keeps returning its form, Markdown rendered, and the banner's LLM line.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { startParley } from '../../adapters/main/parley.js';
import { Agent } from '../../src/agent.js';
import type { ServerConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MAX_V1_FORMS_PER_CALL } from '../../src/tools/calls.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';

let demo: DemoMcp;
let stubborn: Awaited<ReturnType<typeof startMiniMcp>>;
let stubbornCalls = 0;
beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  // A V1 tool that answers every call with its form again, answers or not.
  stubborn = await startMiniMcp('stubborn', (server) => {
    server.registerTool('ask_forever', { inputSchema: z.object({}) }, async () => {
      stubbornCalls += 1;
      return {
        content: [
          {
            type: 'text',
            text: JSON.stringify({
              type: 'elicitation',
              elicitation_type: 'form',
              fields: [{ name: 'word', type: 'text', required: true, description: 'Any word will do.' }],
            }),
          },
        ],
      };
    });
  });
});
afterAll(async () => {
  await demo?.close();
  await stubborn?.close();
});

/** A console over a real agent; `lines` are typed one by one, `keepOpen` leaves stdin open. */
async function chat(
  servers: ServerConfig[],
  lines: string[],
  opts: { keepOpen?: boolean; pendingTtlMs?: number } = {},
) {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (c: Buffer) => {
    transcript += c.toString();
  });
  const agent = new Agent({
    store: new MemoryStore(),
    servers,
    logger: silentLogger(),
    ...(opts.pendingTtlMs !== undefined && { pendingTtlMs: opts.pendingTtlMs }),
  });
  const adapter = new ConsoleAdapter({ agent, input, output, showProgress: false });
  agent.attach(adapter);
  await agent.start();
  const done = adapter.run();
  for (const l of lines) input.write(`${l}\n`);
  if (!opts.keepOpen) input.end();
  return {
    text: () => transcript,
    done,
    async end() {
      input.end();
      await done;
      await agent.stop();
    },
  };
}

describe('the console as a chat client', () => {
  it('shows each field’s description, the options with their titles, and how to skip', async () => {
    const c = await chat([demoServerConfig(demo.url)], ['/call demo__survey {}', ...Array(13).fill('')]);
    await c.end();
    const t = c.text();
    // Descriptions and titled single choices.
    expect(t).toMatch(/Small \(s\)/);
    expect(t).toMatch(/Pro \(pro\)/);
    // A titled multi-select shows its titles, not only raw values.
    expect(t).toMatch(/2\) Sign-in \(oauth\)/);
    expect(t).toMatch(/Choose any — numbers or names, separated by commas/);
    expect(t).toMatch(/Website \(optional\): /);
    expect(t).toMatch(/Enter keeps “Ada Lovelace”/);
    expect(t).toMatch(/"subscribe":true/);

    const v1 = await chat(
      [demoServerConfig(demo.url)],
      ['/call demo__create_ticket {"initial_description":"Printer"}', 'Ann', '3', ''],
    );
    await v1.end();
    // The V1 field's description (server-everything-style forms rely on it), and a number picks an option.
    expect(v1.text()).toMatch(/Who is reporting this ticket\./);
    expect(v1.text()).toMatch(/Optional — press Enter to skip\./);
    expect(v1.text()).toMatch(/priority high/);
  });

  it('takes /quit inside a form as leaving, not as an answer', async () => {
    const c = await chat(
      [demoServerConfig(demo.url)],
      [
        '/call demo__create_ticket {"initial_description":"Quit test"}',
        '/quit',
        '/call demo__echo {"message":"after"}',
      ],
    );
    await c.end();
    expect(c.text()).not.toMatch(/Created ticket/);
    expect(c.text()).not.toMatch(/reported by \/quit/);
    // The chat ended at /quit: the next line was never sent.
    expect(c.text()).not.toMatch(/parley> after/);
  });

  it('/cancel and /decline inside a form end just the form', async () => {
    const c = await chat(
      [demoServerConfig(demo.url)],
      [
        '/call demo__create_ticket {"initial_description":"One"}',
        '/decline',
        '/call demo__echo {"message":"still here"}',
      ],
    );
    await c.end();
    expect(c.text()).toMatch(/was not completed/);
    expect(c.text()).toMatch(/parley> still here/);
  });

  it('stops asking a form that expires mid-way, and says why', async () => {
    const c = await chat(
      [demoServerConfig(demo.url, { era: 'legacy' })],
      ['/call demo__create_ticket_v2 {"initial_description":"Slow"}', 'Ann'],
      { keepOpen: true, pendingTtlMs: 1_500 },
    );
    await expect.poll(c.text, { timeout: 10_000, interval: 50 }).toMatch(/so I stopped asking/);
    await expect
      .poll(c.text, { timeout: 10_000, interval: 50 })
      .toMatch(/The form expired before it was answered/);
    const after = c.text().split('so I stopped asking')[1] ?? '';
    // No field of the closed form is asked after it closed.
    expect(after).not.toMatch(/Category \(optional\): |Due date \(optional\): /);
    await c.end();
    expect(c.text()).not.toMatch(/Created ticket/);
  });

  it('stops asking a form whose server goes away mid-way, and says why', async () => {
    const gone = await startDemoMcp({ logger: silentLogger() });
    const c = await chat(
      [demoServerConfig(gone.url, { era: 'legacy' })],
      ['/call demo__create_ticket_v2 {"initial_description":"Gone"}', 'Ann'],
      { keepOpen: true },
    );
    await expect.poll(c.text, { timeout: 10_000, interval: 50 }).toMatch(/Priority \*: $/);
    await gone.close();
    await expect.poll(c.text, { timeout: 10_000, interval: 50 }).toMatch(/so I stopped asking/);
    await expect
      .poll(c.text, { timeout: 10_000, interval: 50 })
      .toMatch(/create_ticket_v2 stopped before you answered, so I closed its form/);
    expect(c.text().split('so I stopped asking')[1]).not.toMatch(/Category \(optional\): /);
    await c.end();
  });

  it('asks a V1 tool that keeps returning its form a bounded number of times', async () => {
    stubbornCalls = 0;
    const servers = [demoServerConfig(stubborn.url, { name: 'stubborn' })];
    const c = await chat(servers, ['/call stubborn__ask_forever {}', 'one', 'two', 'three', 'four', 'five']);
    await c.end();
    expect(c.text()).toMatch(/Any word will do\./);
    expect(c.text()).toMatch(/keeps asking for its form again after getting the answers/);
    expect(c.text().match(/📝 /g)).toHaveLength(MAX_V1_FORMS_PER_CALL);
    expect(stubbornCalls).toBe(MAX_V1_FORMS_PER_CALL + 1);
  });

  it('after agreeing to open a link, says what it waits for, and /cancel stops waiting', async () => {
    const c = await chat(
      [demoServerConfig(demo.url)],
      [
        '/call demo__connect_calendar {}',
        'y',
        '/cancel',
        '/call demo__echo {"message":"back at the prompt"}',
      ],
    );
    await c.end();
    expect(c.text()).toMatch(/type \/cancel to stop waiting/);
    expect(c.text()).toMatch(/I stopped waiting for that page/);
    // Back at the prompt: the next command is taken and answered. The consented call still runs
    // in this conversation (it waits for the page), so it may be answered with "still working" —
    // whether the echo slips in before the call resumes is a matter of milliseconds.
    expect(c.text()).toMatch(
      /you> \/call demo__echo .*\nparley> (back at the prompt|I’m still working on your last message here)/,
    );
    // /cancel was taken by the wait, not sent to the chat as a command.
    expect(c.text()).not.toMatch(/don’t know the command `?\/cancel/);
  });

  it('renders Markdown instead of printing its markers', async () => {
    const c = await chat([demoServerConfig(demo.url)], ['/help', '/tools']);
    await c.end();
    expect(c.text()).toMatch(/parley> Parley puts MCP tools in this chat/);
    expect(c.text()).toMatch(/• \/tools — list the tools I can use/);
    expect(c.text()).not.toMatch(/\*\*Parley\*\*|`\/tools`/);
    // /tools lists each tool's arguments, required ones marked.
    expect(c.text()).toMatch(/demo__echo — .*\n\s+args: message\* string/);
  });
});

describe('the start banner', () => {
  it('names no model when the demo’s stand-in answers, and says where the logs go', async () => {
    const { DemoModel } = await import('../../adapters/main/demo.js');
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const parley = await startParley({
      env: { PARLEY_CONSOLE: '1', OPENAI_MODEL: 'gpt-should-not-show' },
      input,
      output,
      ephemeralPorts: true,
      llm: new DemoModel(),
    });
    input.end();
    await parley.done;
    await parley.stop();
    expect(out).toMatch(/LLM: none — a scripted stand-in/);
    expect(out).not.toMatch(/gpt-should-not-show/);
    expect(out).toMatch(/Logs: warn and above, as readable lines on stderr/);
  });
});
