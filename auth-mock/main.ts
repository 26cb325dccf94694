/**
 * Entry point of the demo auth server (`npm run auth-mock`): reads the environment once, starts
 * the server, and stops it cleanly on SIGINT/SIGTERM.
 */
import { pino } from 'pino';
import { AuthMockConfigError, loadAuthMockConfig } from './config.js';
import { startAuthMock } from './server.js';

const logger = pino({ name: 'parley-auth-mock' });

async function main(): Promise<void> {
  const config = loadAuthMockConfig();
  const auth = await startAuthMock({
    port: config.port,
    host: config.host,
    issuer: config.issuer,
    resources: config.resources,
    autoApprove: config.autoApprove,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    logger,
  });
  console.log(`Parley demo auth server listening on ${auth.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    auth.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof AuthMockConfigError) {
    console.error(err.message);
  } else {
    logger.fatal({ err }, 'the demo auth server could not start');
  }
  process.exit(1);
});
