/**
 * `npm start`: the whole platform on this machine. `npm start -- --demo` seeds example templates and a user.
 * PORT (default 3000), LOCAL_API_KEY (default local-dev-key), TWILIO_AUTH_TOKEN (what the Twilio-compatible
 * server signs its webhooks with; default SANDBOX_AUTH_TOKEN) and LOCAL_ALLOWED_SOURCES (JSON, instead of
 * platform.config.ts's api.allowedSources) change what they say. Ctrl-C stops it.
 */
import { PortInUseError, startLocalPlatform, TEXT_THE_PLATFORM_PATH } from './runtime.js';

const demo = process.argv.includes('--demo');
const port = Number(process.env.PORT ?? 3000);
const localApiKey = process.env.LOCAL_API_KEY || 'local-dev-key';
const log = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);

try {
  const platform = await startLocalPlatform({
    port,
    demo,
    prefix: process.env.LOCAL_RESOURCE_PREFIX || 'local',
    localApiKey,
    twilioAuthToken: process.env.TWILIO_AUTH_TOKEN,
    ...(process.env.LOCAL_ALLOWED_SOURCES ? { allowedSources: JSON.parse(process.env.LOCAL_ALLOWED_SOURCES) } : {}),
    log,
  });
  process.stderr.write(
    `${[
      `Notification platform running at ${platform.url}/v1`,
      `  Outbox:   ${platform.url}/_local/outbox  (open it in a browser)`,
      `  API keys: ${platform.producers.map((producer) => `${producer.settings.name}=${producer.keyValue}`).join(', ')}`,
      demo ? '  Demo:     templates order_shipped, password_reset and spring_sale (one per category), user "ada"' : '',
      `  Try:      curl -s -X POST ${platform.url}/v1/notifications -H 'x-api-key: ${localApiKey}' -H 'Content-Type: application/json' \\`,
      `              -d '{"user_id":"ada","type":"order_shipped","payload":{"order_id":"A-1001"}}'`,
      `  Text in:  curl -s ${platform.url}${TEXT_THE_PLATFORM_PATH} -d From=%2B4915112345678 -d Body=HELP  (or STOP, START; %2B is +)`,
      '  Ctrl-C stops everything this started.',
      '',
    ]
      .filter((line) => line !== '')
      .join('\n')}\n`,
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('stopping...\n');
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
} catch (error) {
  process.stderr.write(`npm start: ${error instanceof PortInUseError ? error.message : (error as Error).message}\n`);
  process.exit(1);
}
