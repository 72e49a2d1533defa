import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';

/**
 * The real bridge process (src/main.ts, as `npm start` runs it) with the inspector page on, for
 * the browser tests and the README's screenshot.
 */

export const WEBHOOK_PATH = '/mist/webhook';

export interface InspectedBridge {
  process: SpawnedBridge;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  webhook: string;
  /** The line the bridge printed once it listened: `Inspector: <url> …`. */
  startLine: string;
  /** The page's URL as printed (with the token when it was generated). */
  pageUrl: string;
  /** SIGTERM, and wait for the process to exit. */
  stop(): Promise<void>;
}

/** Starts a bridge with MIST_BRIDGE_INSPECT=true and `env`; `port` to start again where one ran before. */
export async function startInspectedBridge(env: Record<string, string>, options: { port?: number; args?: string[] } = {}): Promise<InspectedBridge> {
  const bridge = await spawnBridge(
    { MIST_BRIDGE_INSPECT: 'true', ...env, ...(options.port !== undefined && { MIST_BRIDGE_PORT: String(options.port) }) },
    options.args,
  );
  try {
    // Printed just after the "listening" log line spawnBridge waits for.
    const deadline = Date.now() + 5_000;
    let match: RegExpExecArray | null;
    while ((match = /^Inspector: (\S+).*$/m.exec(bridge.stderr())) === null) {
      if (Date.now() > deadline) throw new Error(`the bridge printed no inspector line:\n${bridge.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      process: bridge,
      url: bridge.url,
      port: Number(new URL(bridge.url).port),
      webhook: bridge.url + WEBHOOK_PATH,
      startLine: match[0],
      pageUrl: match[1]!,
      async stop() {
        if (bridge.child.exitCode === null && bridge.child.signalCode === null) bridge.child.kill('SIGTERM');
        await bridge.exit();
      },
    };
  } catch (err) {
    bridge.child.kill('SIGKILL');
    throw err;
  }
}
