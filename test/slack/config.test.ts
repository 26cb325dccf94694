/** Starting the Slack adapter: settings from the environment, and clear errors when they're wrong. */
import { describe, expect, it } from 'vitest';
import { createSlackAdapter, slackSettingsFromEnv } from '../../adapters/slack/index.js';
import { Agent } from '../../src/agent.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/index.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { testSealer } from '../helpers/sealer.js';

describe('Slack settings', () => {
  it('come from the environment, and Slack stays off without a bot token', () => {
    expect(slackSettingsFromEnv({})).toBeUndefined();
    expect(slackSettingsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' })).toEqual({
      botToken: 'xoxb-1',
      appToken: 'xapp-1',
      signingSecret: undefined,
      apiUrl: 'https://slack.com/api/',
      command: '/parley',
    });
  });

  it('name what is missing or wrong', () => {
    expect(() => slackSettingsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /neither SLACK_APP_TOKEN \(Socket Mode\) nor SLACK_SIGNING_SECRET \(HTTP mode\)/,
    );
    expect(() => slackSettingsFromEnv({ SLACK_COMMAND: 'parley' })).toThrow(/SLACK_COMMAND/);
  });

  it('a bot token Slack refuses stops start-up with a clear sentence', async () => {
    const slack = await FakeSlack.start();
    const store = new MemoryStore({});
    const agent = new Agent({ store, servers: [], logger: silentLogger() });
    const adapter = createSlackAdapter({
      agent,
      store,
      sealer: testSealer(),
      logger: silentLogger(),
      botToken: 'xoxb-wrong',
      appToken: slack.appToken,
      apiUrl: slack.apiUrl,
      retries: 0,
    });
    try {
      await expect(adapter.start()).rejects.toMatchObject({
        code: 'config_invalid',
        userMessage: expect.stringMatching(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/),
      });
    } finally {
      await adapter.stop();
      await slack.close();
      await store.close();
    }
  });
});
