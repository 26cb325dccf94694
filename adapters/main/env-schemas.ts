/**
 * Every environment schema Parley's processes read, by owner — the composition root's and the
 * demo servers' (run by `npm start`). Only tests and tooling import this (the `.env.example` and
 * README checks); the running bot doesn't, so the production image needs no demo server.
 */
import { authMockEnvSchema } from '../../auth-mock/config.js';
import { mcpServerEnvSchema } from '../../mcp-server/config.js';
import { envSchema } from '../../src/config.js';
import { storeEnvSchema } from '../../src/store/config.js';
import { consoleEnvSchema } from '../console/config.js';
import { discordEnvSchema } from '../discord/config.js';
import { slackEnvSchema } from '../slack/config.js';
import { demoEnvSchema } from './config.js';

export const ENV_SCHEMAS = {
  core: envSchema,
  store: storeEnvSchema,
  slack: slackEnvSchema,
  discord: discordEnvSchema,
  console: consoleEnvSchema,
  demo: demoEnvSchema,
  'demo MCP server': mcpServerEnvSchema,
  'demo auth server': authMockEnvSchema,
} as const;
