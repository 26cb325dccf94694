/**
 * The Slack App Home tab, end to end: the real agent with sign-in, the demo OAuth server and two
 * demo MCP servers (one per-person OAuth, one open), a server that is down, Redis, and the fake
 * Slack checking every `views.publish` against Slack's limits for home views. A person opens the
 * tab, signs in from it (the link arrives in their DM, bound to them), signs out, answers a form
 * from it — and never sees anyone else's forms or sign-ins.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOME_ACTION } from '../../adapters/slack/home-view.js';
import { ACTION } from '../../adapters/slack/messages.js';
import { followSignInLink } from '../../src/auth/index.js';
import { serverSchema } from '../../src/config.js';
import { identityKey } from '../../src/conversation.js';
import { silentLogger } from '../../src/logger.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { blockTexts } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/redis-process.js';
import { actionElement, SlackRig } from '../helpers/slack-rig.js';

type Obj = Record<string, unknown>;

let stack: AuthStack;
let open: DemoMcp;
let proc: ParleyProcess;
let rig: SlackRig;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

beforeAll(async () => {
  stack = await startAuthStack({ label: 'slack-home' });
  open = await startDemoMcp({ logger: silentLogger() });
  // Nothing listens on this port: connecting is refused at once.
  const down = `http://127.0.0.1:${await freePort()}/mcp`;
  proc = await stack.startProcess({
    moreServers: [
      demoServerConfig(open.url, { name: 'open', title: 'Open demo' }),
      serverSchema.parse({ name: 'down', title: 'Down server', url: down }),
    ],
  });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [],
    store: proc.store,
    existing: { agent: proc.agent, http: proc.http, baseUrl: proc.baseUrl },
  });
});
afterAll(async () => {
  await rig?.close();
  await open?.close();
  await stack?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

/** The home `user` sees now: its text, and its buttons as `action_id:value`. */
function home(user: string): { text: string; buttons: string[]; blocks: Obj[] } {
  const view = rig.slack.homes.get(user)?.view;
  const blocks = (Array.isArray(view?.blocks) ? view.blocks : []) as Obj[];
  const buttons: string[] = [];
  for (const b of blocks)
    for (const e of [...(Array.isArray(b.elements) ? b.elements : []), b.accessory])
      if (e && typeof e === 'object' && 'action_id' in e)
        buttons.push(`${String((e as Obj).action_id)}:${String((e as Obj).value)}`);
  return { text: blockTexts(blocks).join('\n'), buttons, blocks };
}

/** Waits until `user`'s home satisfies `check` (it is republished in the background). */
async function homeWhere(user: string, check: (h: ReturnType<typeof home>) => boolean): Promise<void> {
  await expect.poll(() => check(home(user)), { timeout: 10_000, interval: 25 }).toBe(true);
}

/** The line about server `title` in the home ("*Title* (`name`)\n🟢 Up · 3 tools"). */
function serverLine(user: string, title: string): string {
  return blockTexts(home(user).blocks).find((t) => t.startsWith(`*${title}* (\``)) ?? '';
}

describe('Slack App Home', () => {
  it('shows each server’s status: up, unreachable, needs sign-in', async () => {
    const u = person('status');
    await rig.slack.openHome(u);
    await homeWhere(u, (h) => h.text.includes('Unreachable'));
    expect(serverLine(u, 'Parley demo')).toMatch(/Needs sign-in/);
    expect(serverLine(u, 'Open demo')).toMatch(/🟢 Up · \d+ tools/);
    expect(serverLine(u, 'Down server')).toMatch(/🔴 Unreachable\n.+/);
    expect(home(u).buttons).toContain(`${HOME_ACTION.signIn}:demo`);
    expect(home(u).text).toMatch(/Nothing is waiting for you/);
    // Opening it lists nothing for anyone: no sign-in was started for a person who didn't ask.
    expect(await proc.signIn.vault.getFlow(identityKey(actor(u)), 'demo', Date.now())).toBeUndefined();
  });

  it('signs in from the home (the link comes to the DM), shows it, and signs out again', async () => {
    const u = person('signin');
    await rig.slack.openHome(u);
    await homeWhere(u, (h) => h.buttons.includes(`${HOME_ACTION.signIn}:demo`));

    await rig.slack.clickHome(u, HOME_ACTION.signIn, 'demo');
    // The same private, bound start link a tool call gets — in the person's DM with Parley.
    const link = await rig.waitForMessageWith(u, ACTION.linkOpen);
    expect(link.channel).toBe(rig.slack.dmChannel(u));
    const url = String(actionElement(link, ACTION.linkOpen).url);
    expect(url).toMatch(new RegExp(`^${proc.baseUrl}/oauth/start/`));
    await homeWhere(u, (h) => /A sign-in link is waiting/.test(h.text));

    expect((await followSignInLink(url)).status).toBe(200);
    await homeWhere(u, (h) => h.buttons.includes(`${HOME_ACTION.signOut}:demo`));
    expect(home(u).text).toMatch(/✅ Signed in/);
    expect(home(u).buttons).not.toContain(`${HOME_ACTION.signIn}:demo`);
    await homeWhere(u, () => /🟢 Up/.test(serverLine(u, 'Parley demo')));
    await rig.waitForText(u, /You’re signed in to \*\*Parley demo\*\*/);

    await rig.slack.clickHome(u, HOME_ACTION.signOut, 'demo');
    await homeWhere(u, (h) => h.buttons.includes(`${HOME_ACTION.signIn}:demo`));
    expect(home(u).text).toMatch(/Not signed in/);
    expect(home(u).buttons).not.toContain(`${HOME_ACTION.signOut}:demo`);
    expect(await proc.signIn.vault.getTokens(identityKey(actor(u)), 'demo')).toBeUndefined();
    expect(serverLine(u, 'Parley demo')).toMatch(/Needs sign-in/);
  });

  it('lists the person’s open forms, answers one from the home, and shows nobody else’s', async () => {
    const ann = person('ann');
    const bob = person('bob');
    // Ann signs in (with /parley login) and has a form waiting; Bob has neither.
    await rig.slack.command(ann, 'CHOME', 'login demo');
    const link = await rig.waitForMessageWith(ann, ACTION.linkOpen);
    expect((await followSignInLink(String(actionElement(link, ACTION.linkOpen).url))).status).toBe(200);
    await rig.waitForText(ann, /You’re signed in/);
    await rig.mention(ann, '/call open__create_ticket_v2 {"initial_description":"Desk of Ann"}', 'CHOME');
    const offer = await rig.waitForMessageWith(ann, ACTION.formOpen);
    const formId = String(actionElement(offer, ACTION.formOpen).value);

    await rig.slack.openHome(ann);
    await homeWhere(ann, (h) => h.buttons.includes(`${ACTION.formOpen}:${formId}`));
    expect(home(ann).text).toMatch(/from open · create_ticket_v2 · in <#CHOME> \(in a thread\) · expires in/);
    expect(home(ann).buttons).toContain(`${HOME_ACTION.signOut}:demo`);

    await rig.slack.openHome(bob);
    await homeWhere(bob, (h) => h.text.includes('Nothing is waiting for you'));
    expect(JSON.stringify(rig.slack.homes.get(bob)?.versions)).not.toContain(formId);
    expect(home(bob).text).not.toMatch(/Desk of Ann|Signed in/);
    expect(home(bob).buttons).toContain(`${HOME_ACTION.signIn}:demo`);

    // Fill in from the home: the same modal as from the message; once answered, the home drops it.
    const before = new Set(rig.slack.views.keys());
    await rig.slack.clickHome(ann, ACTION.formOpen, formId);
    await expect.poll(() => [...rig.slack.views.keys()].some((k) => !before.has(k))).toBe(true);
    const modal = [...rig.slack.views.values()].find((v) => !before.has(v.id));
    expect(modal?.view.private_metadata).toBe(formId);
    expect(
      await rig.submit(ann, modal as NonNullable<typeof modal>, { reporter: 'Ann', priority: 'low' }),
    ).toEqual({
      ok: true,
    });
    await rig.waitForText(ann, /Created ticket T-\d+: Desk of Ann/);
    await homeWhere(ann, (h) => h.text.includes('Nothing is waiting for you'));
    await expect.poll(() => offer.text).toMatch(/Submitted/);
  });

  it('a form declined from someone else’s home button is refused, and stays the owner’s', async () => {
    const ann = person('owner');
    const eve = person('eve');
    await rig.mention(ann, '/call open__create_ticket_v2 {"initial_description":"Mine"}', 'CHOME');
    const offer = await rig.waitForMessageWith(ann, ACTION.formOpen);
    const formId = String(actionElement(offer, ACTION.formOpen).value);
    await rig.slack.openHome(ann);
    await homeWhere(ann, (h) => h.buttons.includes(`${ACTION.formDecline}:${formId}`));
    // Eve forges a click with Ann's form id on her own home (a home has no response_url).
    await rig.slack.openHome(eve);
    await homeWhere(eve, (h) => h.text.includes('Nothing is waiting for you'));
    const eveHome = rig.slack.homes.get(eve) as NonNullable<ReturnType<typeof rig.slack.homes.get>>;
    eveHome.view = {
      ...eveHome.view,
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: ACTION.formDecline,
              value: formId,
              text: { type: 'plain_text', text: 'x' },
            },
          ],
        },
      ],
    };
    await rig.slack.clickHome(eve, ACTION.formDecline, formId);
    await rig.adapter.idle();
    expect(offer.text).not.toMatch(/Declined/);
    await homeWhere(ann, (h) => h.buttons.includes(`${ACTION.formOpen}:${formId}`));
  });
});

function actor(user: string) {
  return { platform: 'slack', workspace: rig.slack.teamId, user };
}
