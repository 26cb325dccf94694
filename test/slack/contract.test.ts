/**
 * The shared adapter contract, through Slack's HTTP edge: each scenario is a mention in a
 * channel, clicks on the bot's buttons and modal submits, all as signed requests to the real Bolt
 * app mounted on Parley's HTTP server. (Socket Mode is covered by the patterns suite.)
 */
import { afterEach, expect } from 'vitest';
import { ACTION } from '../../adapters/slack/messages.js';
import { runAdapterContract } from '../contract/adapter-contract.js';
import type {
  AdapterHarness,
  ContractSubmitResult,
  ShownConfirm,
  ShownForm,
  ShownLink,
} from '../contract/harness.js';
import type { FakeMessage, FakeView } from '../helpers/fake-slack.js';
import { actionElement, describeModal, SlackRig } from '../helpers/slack-rig.js';

interface FormRef {
  owner: string;
  message: FakeMessage;
  view: FakeView;
}

let current: SlackRig | undefined;

afterEach(() => {
  // Nothing Slack would reject may ever be sent.
  expect(current?.slack.violations ?? []).toEqual([]);
});

runAdapterContract(
  'slack',
  async (world): Promise<AdapterHarness> => {
    const rig = await SlackRig.start({
      mode: 'http',
      servers: world.servers,
      store: world.store,
      llm: world.llm,
    });
    current = rig;
    const result = (o: Awaited<ReturnType<SlackRig['clickAndSee']>>): ContractSubmitResult =>
      o.ok ? { ok: true } : { ok: false, ...(o.message !== undefined && { message: o.message }) };
    return {
      async say(user, text) {
        await rig.mention(user, text, 'CCONTRACT');
      },
      waitForText: (user, pattern) => rig.waitForText(user, pattern),
      async waitForForm(user, nth = 1): Promise<ShownForm> {
        const message = await rig.waitForMessageWith(user, ACTION.formOpen, nth);
        const view = await rig.openForm(user, message);
        const ref: FormRef = { owner: user, message, view };
        return { ref, ...describeModal(view) };
      },
      async submitForm(actor, form, values) {
        const ref = form.ref as FormRef;
        const outcome = await rig.submit(actor, ref.view, values);
        if (outcome.ok) return { ok: true };
        return {
          ok: false,
          ...(outcome.errors && { errors: outcome.errors }),
          ...(outcome.message !== undefined && { message: outcome.message }),
        };
      },
      async declineForm(actor, form) {
        return result(await rig.clickAndSee(actor, (form.ref as FormRef).message, ACTION.formDecline));
      },
      async waitForConfirm(user, nth = 1): Promise<ShownConfirm> {
        const message = await rig.waitForMessageWith(user, ACTION.confirmYes, nth);
        return { ref: message, text: FakeMessageText(message) };
      },
      async answerConfirm(actor, confirm, yes) {
        const message = confirm.ref as FakeMessage;
        return result(await rig.clickAndSee(actor, message, yes ? ACTION.confirmYes : ACTION.confirmNo));
      },
      async waitForLink(user, nth = 1): Promise<ShownLink> {
        const message = await rig.waitForMessageWith(user, ACTION.linkOpen, nth);
        const button = actionElement(message, ACTION.linkOpen);
        const label = (button.text as { text: string }).text;
        return { ref: message, url: String(button.url), host: label.replace(/^Open /, '') };
      },
      async openLink(actor, link) {
        return result(await rig.clickAndSee(actor, link.ref as FakeMessage, ACTION.linkOpen));
      },
      close: () => rig.close(),
    };
  },
  { multiUser: true, canReplay: true },
);

function FakeMessageText(m: FakeMessage): string {
  return FakeMessageSaid(m).join('\n');
}

function FakeMessageSaid(m: FakeMessage): string[] {
  return m.history.slice(0, 1).flatMap((h) => [h.text, ...blockTextsOf(h.blocks)]);
}

function blockTextsOf(blocks: Array<Record<string, unknown>>): string[] {
  return blocks.flatMap((b) => {
    const t = b.text as { text?: string } | undefined;
    return t?.text ? [t.text] : [];
  });
}
