/** `npm start`: runs Parley as the environment describes (see adapters/main/parley.ts and the README). */
import { isParleyError } from '../../src/errors.js';
import { startParley } from './parley.js';

async function main(): Promise<void> {
  const parley = await startParley();
  const stop = () => {
    void parley.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (parley.done) {
    await parley.done;
    await parley.stop();
    process.exit(0);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Parley could not start: ${isParleyError(err) ? err.userMessage : err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
