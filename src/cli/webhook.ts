import { redact } from '../mist-api/errors.js';
import { EXIT, type ExitCode, errorKind, exitCodeOf } from './exit-codes.js';
import { Output } from './output.js';
import { parseWebhookArgs, WEBHOOK_USAGE, type WebhookArgs } from './webhook-args.js';
import { openContext } from './webhook-context.js';
import { deleteWebhooks, listWebhooks, pingWebhooks } from './webhook-manage.js';
import { setupWebhooks } from './webhook-setup.js';

/** `mist-otel-bridge webhook …`: returns the exit code (EXIT). */
export async function webhookCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const wantsJson = argv.includes('--json');
  let args: WebhookArgs;
  try {
    args = parseWebhookArgs(argv);
  } catch (err) {
    return fail(new Output(wantsJson), err, env, `\n${WEBHOOK_USAGE}`);
  }
  const out = new Output(args.json);
  if (args.help) {
    process.stdout.write(WEBHOOK_USAGE + '\n');
    return EXIT.ok;
  }
  try {
    const ctx = await openContext(env, args, out);
    let doc: Record<string, unknown>;
    switch (args.command) {
      case 'setup':
        doc = await setupWebhooks(ctx, { url: args.url!, name: args.name, insecure: args.insecure, ...(args.topics ? { topics: args.topics } : {}) }, env, out);
        break;
      case 'list':
        doc = await listWebhooks(ctx, out);
        break;
      case 'ping':
        doc = await pingWebhooks(ctx, args.target!, out);
        break;
      case 'delete':
        doc = await deleteWebhooks(ctx, args.target!, out);
        break;
    }
    out.document({ ok: true, ...doc });
    return EXIT.ok;
  } catch (err) {
    return fail(out, err, env);
  }
}

function fail(out: Output, err: unknown, env: NodeJS.ProcessEnv, suffix = ''): ExitCode {
  const code = exitCodeOf(err);
  // Everything shown passes the token filter, whatever the error came from.
  const message = redact(err instanceof Error ? err.message : String(err), env.MIST_API_TOKEN?.trim() ?? '');
  out.error(message + suffix);
  out.document({ ok: false, error: { kind: errorKind(err), exit_code: code, message, ...(status(err) !== undefined ? { status: status(err) } : {}) } });
  return code;
}

function status(err: unknown): number | undefined {
  const s = (err as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
}
