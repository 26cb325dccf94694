/**
 * The Discord adapter passes the shared adapter contract through Discord's edge: `/call` as a
 * slash command, other text as a mention, and every answer as the button click or modal submit
 * Discord would deliver — over the gateway, and over the HTTP interactions endpoint. What a person
 * sees is read back from the fake Discord.
 */
import { expect } from 'vitest';
import { parseCustomId } from '../../adapters/discord/ids.js';
import { runAdapterContract } from '../contract/adapter-contract.js';
import type { AdapterHarness, ContractSubmitResult, ContractWorld, ShownForm } from '../contract/harness.js';
import {
  buttonId,
  buttonLabels,
  type DiscordWorld,
  modalInputs,
  startDiscordWorld,
  type Transport,
} from '../helpers/discord-world.js';
import type { FakeChannel, FakeMessage } from '../helpers/fake-discord.js';

type Json = Record<string, unknown>;

interface FormRef {
  message: FakeMessage;
}

async function discordHarness(world: ContractWorld, transport: Transport): Promise<AdapterHarness> {
  const w: DiscordWorld = await startDiscordWorld({ ...world, transport });
  const { fake } = w;
  const channels = new Map<string, FakeChannel>();
  const channelOf = (user: string) => {
    let ch = channels.get(user);
    if (!ch) {
      ch = fake.guildChannel();
      channels.set(user, ch);
    }
    return ch;
  };
  const scope = (user: string) => [channelOf(user).id];
  const shows = (label: string) => (m: FakeMessage) => buttonLabels(m, 'shown').includes(label);

  /** What a click led to: an ephemeral refusal, or nothing to complain about. */
  const outcome = (click: Json): ContractSubmitResult => {
    const refusal = [fake.original(click), ...fake.followUpsOf(click)].find(
      (m): m is FakeMessage => m?.ephemeral === true && m.content !== '',
    );
    return refusal ? { ok: false, message: refusal.content } : { ok: true };
  };

  return {
    async say(user, text) {
      const channel = channelOf(user);
      const call = /^\/call\s+(\S+)\s*([\s\S]*)$/.exec(text);
      if (call) {
        await w.command(user, channel, 'call', {
          tool: call[1] as string,
          ...(call[2] && { args: call[2] }),
        });
        return;
      }
      await w.say(user, channel, text);
    },
    async waitForText(user, pattern) {
      const m = await w.waitForMessage(
        user,
        scope(user),
        (x) => x.shownComponents.length === 0 && !x.deferred && pattern.test(x.content),
      );
      return m.content;
    },
    async waitForForm(user, nth = 1) {
      const message = await w.waitForMessage(user, scope(user), shows('Fill in'), nth);
      // The person opens the form to see it: the first page's modal names its fields.
      const open = await w.click(user, message, 'Fill in');
      const modal = fake.response(open)?.data as Json;
      const inputs = modalInputs(modal);
      const options = Object.fromEntries(
        inputs.filter((i) => i.options.length > 0).map((i) => [i.id, i.options]),
      );
      return { ref: { message } satisfies FormRef, fields: inputs.map((i) => i.id), options };
    },
    async submitForm(actor, form: ShownForm, values) {
      const { message } = form.ref as FormRef;
      const result = await w.fillForm(actor, message, values, 'Fill in');
      if (result.ok) return { ok: true };
      return result.errors
        ? { ok: false, errors: result.errors }
        : { ok: false, message: result.message ?? '' };
    },
    async declineForm(actor, form) {
      const { message } = form.ref as FormRef;
      return outcome(await w.click(actor, message, 'Decline'));
    },
    async waitForConfirm(user, nth = 1) {
      const message = await w.waitForMessage(user, scope(user), shows('Approve'), nth);
      return { ref: message, text: message.content };
    },
    async answerConfirm(actor, confirm, yes) {
      const message = confirm.ref as FakeMessage;
      return outcome(await w.click(actor, message, yes ? 'Approve' : 'Cancel'));
    },
    async waitForLink(user, nth = 1) {
      const message = await w.waitForMessage(user, scope(user), shows('Open link'), nth);
      const host = /on \*\*([^*]+)\*\*/.exec(message.content)?.[1] ?? '';
      // A shared channel shows the host only; the URL is what "Open link" will hand its owner.
      expect(message.content).not.toMatch(/https?:\/\//);
      const parsed = parseCustomId(buttonId(message, 'Open link'));
      const channel = channelOf(user);
      const found = await w.agent.lookup(parsed?.type === 'button' ? parsed.id : '', {
        platform: 'discord',
        workspace: channel.guildId as string,
        user: fake.userId(user),
      });
      const url = found.ok && found.interaction.kind === 'link' ? found.interaction.view.url : '';
      return { ref: message, url, host };
    },
    async openLink(actor, link) {
      const click = await w.click(actor, link.ref as FakeMessage, 'Open link');
      // The link (or a refusal the core didn't tell) comes as a private follow-up.
      const reply = fake.followUpsOf(click)[0];
      const button = (reply?.components[0]?.components as Json[] | undefined)?.find((b) => b.style === 5);
      if (!button) return { ok: false, message: reply?.content ?? '' };
      // The private reply hands over the very link the step named.
      expect(button.url).toBe(link.url);
      return { ok: true };
    },
    async close() {
      const violations = [...fake.violations];
      if (process.env.DISCORD_DUMP) console.log(JSON.stringify(fake.calls, null, 1));
      await w.close();
      // Every payload of every scenario met Discord's limits (the fake checks each call).
      expect(violations).toEqual([]);
    },
  };
}

// Interactions over the gateway, and again over the signed HTTP endpoint: the same handlers.
runAdapterContract('discord-gateway', (world) => discordHarness(world, 'gateway'), {
  multiUser: true,
  canReplay: true,
});
runAdapterContract('discord-http', (world) => discordHarness(world, 'http'), {
  multiUser: true,
  canReplay: true,
});
