/**
 * `npm run fake-slack`: the tests' fake Slack on its own, so the Slack adapter can be tried end
 * to end — Socket Mode included — without a workspace. It prints the environment to start Parley
 * with, then acts as a tiny terminal Slack: what you type is a mention of the bot, and every
 * message and modal the bot sends is printed with numbered buttons you can press.
 *
 *   FAKE_SLACK_PORT   port of the fake Slack (default 3999)
 *   FAKE_SLACK_HTTP   deliver to an HTTP-mode Parley at this URL (e.g.
 *                     http://127.0.0.1:3000/slack/events) instead of Socket Mode
 */
import { createInterface } from 'node:readline';
import { type FakeMessage, FakeSlack, type FakeView } from './fake-slack.js';

const SIGNING_SECRET = 'fake-slack-signing-secret';
const USER = process.env.FAKE_SLACK_USER ?? 'UDEV';
const CHANNEL = 'CGENERAL';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

async function main(): Promise<void> {
  const port = Number(process.env.FAKE_SLACK_PORT ?? 3999);
  const slack = await FakeSlack.start({ port });
  const httpTarget = process.env.FAKE_SLACK_HTTP;
  if (httpTarget) slack.useHttp({ url: httpTarget, signingSecret: SIGNING_SECRET });
  const out = (line = '') => process.stdout.write(`${line}\n`);

  out(`Fake Slack on ${slack.url} (${httpTarget ? `HTTP mode → ${httpTarget}` : 'Socket Mode'}).`);
  out('Start Parley in another terminal with:');
  out('');
  out(`  SLACK_API_URL=${slack.apiUrl} \\`);
  out(`  SLACK_BOT_TOKEN=${slack.botToken} \\`);
  out(httpTarget ? `  SLACK_SIGNING_SECRET=${SIGNING_SECRET} \\` : `  SLACK_APP_TOKEN=${slack.appToken} \\`);
  out('  npm start');
  out('');
  out(`You are ${USER} in #general. Type a message to mention the bot (a new thread), or:`);
  out('  /parley <text>              the slash command');
  out('  :dm <text>                  a direct message');
  out('  :reply <msg#> <text>        mention the bot in that message’s thread');
  out('  :press <button#>            press a button');
  out('  :submit <view> key=value …  submit an open modal (lists: a,b; checkbox: true)');
  out('  :cancel <view>              close a modal');
  out('  :quit');
  out('');

  const messageNo = new Map<FakeMessage, number>();
  const buttons: Array<{ message: FakeMessage; actionId: string }> = [];
  slack.watch((change) => {
    if (change.kind === 'view') return printView(change.view);
    const m = change.message;
    if (m.author !== slack.botUserId) return;
    if (!messageNo.has(m)) messageNo.set(m, messageNo.size + 1);
    const where = `${m.channel}${m.threadTs ? ` thread ${m.threadTs}` : ''}${m.ephemeralTo ? ' (only you)' : ''}`;
    out(`\n[msg ${messageNo.get(m)}${m.deleted ? ', deleted' : ''}] ${where}`);
    if (m.deleted) return;
    out(indent(m.text));
    for (const b of m.blocks) {
      if (b.type === 'section' || b.type === 'context') {
        const t = isObj(b.text)
          ? String(b.text.text)
          : (b.elements as Obj[] | undefined)?.map((e) => e.text).join(' ');
        if (t && t !== m.text) out(indent(String(t)));
      }
      if (b.type !== 'actions' || !Array.isArray(b.elements)) continue;
      for (const e of b.elements.filter(isObj)) {
        buttons.push({ message: m, actionId: String(e.action_id) });
        const label = isObj(e.text) ? String(e.text.text) : String(e.action_id);
        out(`   [button ${buttons.length}] ${label}${e.url ? ` → ${e.url}` : ''}`);
      }
    }
  });

  function printView(v: FakeView): void {
    const title = isObj(v.view.title) ? v.view.title.text : '';
    out(`\n[modal ${v.id}] ${String(title)}`);
    for (const b of Array.isArray(v.view.blocks) ? v.view.blocks.filter(isObj) : []) {
      if (b.type === 'section' && isObj(b.text)) out(indent(String(b.text.text)));
      if (b.type !== 'input' || !isObj(b.element) || !isObj(b.label)) continue;
      const e = b.element;
      const opts = Array.isArray(e.options)
        ? ` {${e.options
            .filter(isObj)
            .map((o) => o.value)
            .join(', ')}}`
        : '';
      out(
        `   ${String(b.block_id)}${b.optional ? '' : ' *'} — ${String(b.label.text)} (${String(e.type)})${opts}`,
      );
    }
  }

  const rl = createInterface({ input: process.stdin });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    try {
      if (line === ':quit') break;
      if (line.startsWith('/parley')) await slack.command(USER, CHANNEL, line.slice('/parley'.length).trim());
      else if (line.startsWith(':dm ')) await slack.dm(USER, line.slice(4));
      else if (line.startsWith(':reply ')) {
        const [, n, ...text] = line.split(' ');
        const m = [...messageNo].find(([, no]) => no === Number(n))?.[0];
        if (!m) out('No such message.');
        else await slack.mention(USER, m.channel, text.join(' '), { threadTs: m.threadTs ?? m.ts });
      } else if (line.startsWith(':press ')) {
        const b = buttons[Number(line.slice(7)) - 1];
        if (!b) out('No such button.');
        else await slack.click(USER, b.message, b.actionId);
      } else if (line.startsWith(':submit ')) {
        const [, viewId = '', ...pairs] = line.split(' ');
        const values: Record<string, string | string[]> = {};
        for (const p of pairs) {
          const [k = '', v = ''] = p.split('=');
          values[k] = v.includes(',') ? v.split(',') : v;
        }
        const ack = await slack.submitView(USER, viewId, values);
        out(
          isObj(ack.body) && ack.body.response_action ? `   ↳ ${JSON.stringify(ack.body)}` : '   ↳ submitted',
        );
      } else if (line.startsWith(':cancel ')) await slack.closeView(USER, line.slice(8));
      else await slack.mention(USER, CHANNEL, line);
    } catch (err) {
      out(`⚠️ ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  rl.close();
  await slack.close();
  process.exit(0);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`fake Slack failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
