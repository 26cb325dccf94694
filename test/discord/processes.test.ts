/**
 * Several Parley processes on one gateway (issue 13): every process connected with the same
 * shard receives each INTERACTION_CREATE, and exactly one of them must handle it. Two adapters,
 * each with its own agent and its own store client on one Redis prefix, play two processes.
 * Likewise, when both processes are told an interaction ended, its message is edited once.
 */
import { Client, GatewayDispatchEvents } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCustomId } from '../../adapters/discord/ids.js';
import { createDiscordAdapter, type DiscordAdapter } from '../../adapters/discord/index.js';
import { Agent } from '../../src/agent.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { buttonId, buttons, type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { testSealer } from '../helpers/sealer.js';

let demo: DemoMcp;
let world: DiscordWorld;
let second: { adapter: DiscordAdapter; agent: Agent; client: Client; store: RedisStore };
let firstStore: RedisStore;
let faulty: FaultyStore;

beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  const prefix = testKeyPrefix('discord-two');
  const servers = [demoServerConfig(demo.url)];
  firstStore = new RedisStore({ url: redisUrl(), prefix });
  faulty = new FaultyStore(firstStore);
  world = await startDiscordWorld({ servers, store: faulty, transport: 'gateway' });
  // The second process: its own store client, agent, discord.js client and adapter.
  const store = new RedisStore({ url: redisUrl(), prefix });
  const logger = silentLogger();
  // The same PARLEY_SECRET as the first process, as processes on one store must share.
  const sealer = testSealer();
  const agent = new Agent({ store, servers, logger, sealer });
  const client = new Client({ intents: [], rest: { api: world.fake.api, makeRequest: fetch, retries: 0 } });
  const adapter = createDiscordAdapter({
    agent,
    store,
    sealer,
    logger,
    applicationId: world.fake.applicationId,
    token: world.fake.botToken,
    client,
  });
  await agent.start();
  await adapter.start();
  second = { adapter, agent, client, store };
});

afterAll(async () => {
  await second?.agent.whenIdle();
  await second?.adapter.stop();
  await second?.agent.stop();
  await second?.client.destroy();
  await second?.store.close();
  await world?.close();
  await firstStore?.close();
  await demo?.close();
});

describe('an interaction dispatched to two processes over the gateway', () => {
  it('is handled once: one initial response, one tool run, one answer', async () => {
    const channel = world.fake.guildChannel();
    const payload = world.fake.slashCommand('ann', channel, 'call', {
      tool: 'demo__echo',
      args: '{"message":"only once"}',
    });
    // What discord.js's WebSocketManager does with a dispatch from a shard, in both processes.
    world.client.ws.emit(GatewayDispatchEvents.InteractionCreate, payload, 0);
    second.client.ws.emit(GatewayDispatchEvents.InteractionCreate, payload, 0);
    await Promise.all([world.adapter.settled(), second.adapter.settled()]);
    await Promise.all([world.agent.whenIdle(), second.agent.whenIdle()]);
    await world.waitForMessage('ann', [channel.id], (m) => m.content.includes('only once'));
    const seen = world.fake.visibleTo('ann', [channel.id]);
    expect(seen.filter((m) => m.content.includes('only once'))).toHaveLength(1);
    // Nobody was told something went wrong (what a second, refused acknowledgement would cause).
    expect(seen.some((m) => /went wrong/.test(m.content))).toBe(false);
  });
});

/** The form message `user` was offered in `channel`, its interaction id, and their conversation. */
async function offered(user: string, channel: ReturnType<DiscordWorld['fake']['guildChannel']>) {
  const form = await world.waitForMessage(user, [channel.id], (m) =>
    buttons(m).some((b) => String(b.custom_id).startsWith('parley:fill:')),
  );
  const id = parseCustomId(buttonId(form, 'Fill in'))?.id as string;
  const conversation = {
    platform: 'discord',
    workspace: channel.guildId as string,
    channel: channel.id,
    user,
  };
  return { form, id, conversation };
}

describe('an interaction both processes are told has ended', () => {
  it('has its message edited once: the process that takes its record edits it', async () => {
    const channel = world.fake.guildChannel();
    await world.command('bea', channel, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Ended twice"}',
    });
    const { form, id, conversation } = await offered('bea', channel);
    const edits = form.edits;
    // What each process's core posts when it sees the interaction end (the owner's timer, the
    // process that took the answer): the surface port's `closed`, in both at once.
    await Promise.all(
      [world.adapter, second.adapter].map((a) =>
        a.surface.post(conversation, { kind: 'closed', id, outcome: 'expired' }),
      ),
    );
    expect(buttons(form)).toEqual([]);
    expect(form.versions.at(-1)).toMatch(/Expired/);
    expect(form.edits).toBe(edits + 1);
  });

  it('closed while its message is still being noted, is edited once the note is written', async () => {
    const channel = world.fake.guildChannel();
    // The message is on Discord, its reference not yet in the store: the note is slow.
    const slow = faulty.holdNextSet('discord:msgs:');
    const asked = world.command('cy', channel, 'call', {
      tool: 'demo__create_ticket_v2',
      args: '{"initial_description":"Closed at once"}',
    });
    await slow.reached;
    const { form, id, conversation } = await offered('cy', channel);
    const closing = world.adapter.surface.post(conversation, { kind: 'closed', id, outcome: 'expired' });
    await new Promise((r) => setTimeout(r, 100));
    slow.release();
    await closing;
    await asked;
    expect(buttons(form)).toEqual([]);
    expect(form.versions.at(-1)).toMatch(/Expired/);
  });
});
