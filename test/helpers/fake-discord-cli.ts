/**
 * `npm run fake-discord`: the tests' fake Discord on its own, so the Discord adapter can be tried
 * end to end without a server or an application. It runs the fake REST API and a gateway
 * stand-in, prints the environment to start Parley with, then acts as a tiny terminal Discord:
 * what you type mentions the bot, and every message and modal the bot sends is printed with
 * numbered buttons you can press.
 *
 *   FAKE_DISCORD_HTTP   send interactions (slash commands, buttons, modals) as signed POSTs to an
 *                       HTTP-interactions Parley at this URL (e.g.
 *                       http://127.0.0.1:3000/discord/interactions) instead of over the gateway
 *   FAKE_DISCORD_USER   your user name (default "dev")
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { createInterface } from 'node:readline';
import { type FakeMessage, startFakeDiscord } from './fake-discord.js';
import { startFakeGateway } from './fake-discord-gateway.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const USER = process.env.FAKE_DISCORD_USER ?? 'dev';

async function main(): Promise<void> {
  const fake = await startFakeDiscord();
  const gateway = await startFakeGateway({
    id: fake.botUserId,
    username: 'parley',
    applicationId: fake.applicationId,
  });
  fake.setGateway(gateway.url);
  const httpTarget = process.env.FAKE_DISCORD_HTTP;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyHex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString(
    'hex',
  );
  const out = (line = '') => process.stdout.write(`${line}\n`);

  out(`Fake Discord: REST ${fake.api}, gateway ${gateway.url}.`);
  out('Start Parley in another terminal with:');
  out('');
  out(`  DISCORD_API_URL=${fake.api} \\`);
  out(`  DISCORD_APPLICATION_ID=${fake.applicationId} \\`);
  out(`  DISCORD_TOKEN=${fake.botToken} \\`);
  if (httpTarget) out(`  DISCORD_PUBLIC_KEY=${publicKeyHex} \\`);
  out('  npm start');
  out('');
  out(
    httpTarget
      ? `Interactions go to ${httpTarget} (Parley's HTTP interactions endpoint, signed with that key); mentions over the gateway.`
      : 'Everything reaches Parley over the gateway stand-in. Set FAKE_DISCORD_HTTP=http://127.0.0.1:3000/discord/interactions to use the HTTP interactions endpoint instead.',
  );
  out('');
  out(`You are ${USER} in #general. Type a message to mention the bot, or:`);
  out('  /tools · /ask <text> · /call <tool> {json}   the slash commands (also /login, /logout, /reset)');
  out('  :dm <text>                             a direct message');
  out('  :press <button#>                       press a button');
  out('  :submit <modal#> id=value …            submit a modal (lists: a,b; checkbox: true)');
  out('  :quit');
  out('');

  const channel = fake.guildChannel();
  const dm = fake.dmChannel(USER);
  const buttons: Array<{ message: FakeMessage; customId: string }> = [];
  const modals: Json[] = [];
  const shown = new Map<string, number>();

  async function deliver(payload: Json): Promise<void> {
    if (!httpTarget || 'author' in payload) {
      const event = 'author' in payload ? 'MESSAGE_CREATE' : 'INTERACTION_CREATE';
      if (gateway.dispatch(event, payload) === 0) out('⚠️ Parley is not connected to the gateway yet.');
    } else {
      const body = JSON.stringify(payload);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
      const res = await fetch(httpTarget, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature-ed25519': signature,
          'x-signature-timestamp': timestamp,
        },
        body,
      });
      if (!res.ok) out(`⚠️ The endpoint answered ${res.status}: ${await res.text()}`);
      else fake.applyResponse(payload, await res.json());
    }
    if (!('author' in payload)) void showModalOf(payload);
  }

  /** Waits (bounded) for an interaction's initial response; a modal in it is numbered and shown. */
  async function showModalOf(payload: Json): Promise<void> {
    for (let i = 0; i < 100 && !fake.response(payload); i++) await new Promise((r) => setTimeout(r, 100));
    const response = fake.response(payload);
    if (response?.type === 9 && isObj(response.data)) {
      modals.push(payload);
      printModal(modals.length, response.data);
    }
  }

  function printModal(n: number, modal: Json): void {
    out(`\n[modal ${n}] ${String(modal.title ?? '')}`);
    for (const top of Array.isArray(modal.components) ? modal.components.filter(isObj) : []) {
      if (top.type === 10) out(indent(String(top.content ?? '')));
      const inner = isObj(top.component) ? top.component : undefined;
      if (!inner) continue;
      const opts = Array.isArray(inner.options)
        ? ` {${inner.options
            .filter(isObj)
            .map((o) => (o.label === o.value ? o.value : `${String(o.value)}=${String(o.label)}`))
            .join(', ')}}`
        : '';
      out(
        `   ${String(inner.custom_id)}${inner.required === false ? '' : ' *'} — ${String(top.label ?? '')}${opts}`,
      );
    }
  }

  function printMessages(): void {
    for (const m of fake.visibleTo(USER, [channel.id, dm.id])) {
      if (m.interactionUser === undefined && m.content === '' && m.components.length === 0) continue;
      const key = `${m.id}:${m.edits}:${m.deferred}`;
      if (shown.has(key)) continue;
      shown.set(key, 1);
      if (m.deferred) continue;
      out(`\n[msg ${m.id}${m.edits ? ', edited' : ''}]${m.ephemeral ? ' (only you)' : ''}`);
      if (m.content) out(indent(m.content));
      for (const row of m.components) {
        if (row.type === 10 && typeof row.content === 'string') out(indent(row.content));
        for (const b of Array.isArray(row.components) ? row.components.filter(isObj) : []) {
          if (b.type !== 2) continue;
          if (typeof b.custom_id === 'string') buttons.push({ message: m, customId: b.custom_id });
          out(
            `   [button ${typeof b.custom_id === 'string' ? buttons.length : '↗'}] ${String(b.label ?? '')}${b.url ? ` → ${String(b.url)}` : ''}`,
          );
        }
      }
    }
  }
  const watcher = setInterval(printMessages, 200);

  const rl = createInterface({ input: process.stdin });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    try {
      if (line === ':quit') break;
      if (line.startsWith(':dm ')) await deliver(fake.message(USER, dm, line.slice(4)));
      else if (line.startsWith(':press ')) {
        const b = buttons[Number(line.slice(7)) - 1];
        if (!b) out('No such button.');
        else await deliver(fake.click(USER, b.message, b.customId));
      } else if (line.startsWith(':submit ')) {
        const [, n = '', ...pairs] = line.split(' ');
        const opener = modals[Number(n) - 1];
        if (!opener) out('No such modal.');
        else {
          const values: Record<string, string | string[] | boolean> = {};
          for (const p of pairs) {
            const [k = '', v = ''] = p.split('=');
            values[k] = v === 'true' ? true : v.includes(',') ? v.split(',') : v;
          }
          await deliver(fake.submitModal(USER, opener, values));
        }
      } else if (line.startsWith('/')) {
        const [name = '', ...rest] = line.slice(1).split(' ');
        const arg = rest.join(' ');
        const options: Record<string, string> = {};
        if (name === 'call') {
          const [tool = '', ...json] = rest;
          options.tool = tool;
          if (json.length) options.args = json.join(' ');
        } else if (name === 'ask') options.prompt = arg;
        else if (arg) options.server = arg;
        await deliver(fake.slashCommand(USER, channel, name, options));
      } else await deliver(fake.message(USER, channel, line, { mention: true }));
    } catch (err) {
      out(`⚠️ ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  clearInterval(watcher);
  rl.close();
  await gateway.close();
  await fake.close();
  process.exit(0);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`fake Discord failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
