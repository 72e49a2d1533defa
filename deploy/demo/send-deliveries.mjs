#!/usr/bin/env node
// Sends signed Mist-style webhook deliveries to a bridge, stamped with the current time, so a fresh
// `docker compose --profile demo up` fills every dashboard before any Mist organisation is pointed
// at the bridge (the stream's statistics come from mist-stand-in.mjs, for the same made-up
// organisation, demo-org.mjs). Plain Node (20+), no dependencies.
//
//   BRIDGE_URL           where to POST (default http://bridge:4320/mist/webhook)
//   MIST_WEBHOOK_SECRET  the bridge's secret (required): deliveries are signed as Mist signs them
//   DEMO_INTERVAL_SECONDS  seconds between rounds (default 30)
//   DEMO_ROUNDS          stop after this many rounds (default: run until stopped)
import { randomBytes } from 'node:crypto';
// The project's one generator of Mist payloads and its signer (plain .mjs, no build): compose
// mounts mist-payloads/ beside this directory, as in the repository. Who is who is the demo's.
import { signatureHeaders } from '../../mist-payloads/sign.mjs';
import { clientSession, denial, events } from '../../mist-payloads/webhook.mjs';
import { APS, ORG as DEMO_ORG, SITES } from './demo-org.mjs';

const url = process.env.BRIDGE_URL ?? 'http://bridge:4320/mist/webhook';
const secret = process.env.MIST_WEBHOOK_SECRET;
const intervalMs = Number(process.env.DEMO_INTERVAL_SECONDS ?? 30) * 1000;
const rounds = process.env.DEMO_ROUNDS === undefined ? Infinity : Number(process.env.DEMO_ROUNDS);
if (!secret) {
  console.error("send-deliveries: set MIST_WEBHOOK_SECRET to the bridge's webhook secret");
  process.exit(2);
}

const ORG = DEMO_ORG.id;
const ALARMS = [
  ['rogue_ap_detected', 'warn', 'security'],
  ['device_down', 'critical', 'infrastructure'],
  ['dhcp_failure', 'warn', 'marvis'],
  ['switch_stp_loop', 'critical', 'infrastructure'],
  ['insufficient_capacity', 'info', 'marvis'],
];

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const mac = () => randomBytes(6).toString('hex');
const round3 = (x) => Math.round(x * 1000) / 1000;
/** One event of `topic` as the generator's template makes it, for the demo's organisation, with `fields` over it. */
const event = (topic, fields) => ({ ...events(topic)[0], org_id: ORG, ...fields });

/** One round of deliveries, as Mist would send them for the last few minutes. */
function deliveries(nowS, round) {
  const out = [];
  const flapping = pick(APS);
  const where = (site) => ({ site_id: site.id, site_name: site.name });
  out.push({
    topic: 'device-updowns',
    events: [
      event('device-updowns', {
        ...where(flapping.site),
        ap: flapping.mac,
        ap_name: flapping.name,
        type: Math.random() < 0.5 ? 'AP_DISCONNECTED' : 'AP_CONNECTED',
        timestamp: nowS,
      }),
    ],
  });
  const [type, severity, group] = pick(ALARMS);
  const site = pick(SITES);
  const status = Math.random() < 0.7 ? 'open' : 'resolved';
  out.push({
    topic: 'alarms',
    events: [
      event('alarms', { ...where(site), type, severity, group, status, details: { status }, count: 1 + Math.floor(Math.random() * 3), timestamp: nowS }),
    ],
  });
  out.push({
    topic: 'client-latency',
    events: SITES.map((s) =>
      event('client-latency', {
        site_id: s.id,
        timestamp: nowS - 60,
        avg_dhcp: round3(0.01 + Math.random() * 0.03),
        min_dhcp: 0.004,
        max_dhcp: round3(0.05 + Math.random() * 0.2),
        avg_dns: round3(0.01 + Math.random() * 0.04),
        min_dns: 0.002,
        max_dns: round3(0.06 + Math.random() * 0.3),
        avg_auth: round3(0.1 + Math.random() * 0.3),
        min_auth: 0.05,
        max_auth: round3(0.4 + Math.random() * 0.8),
      }),
    ),
  });
  // Site SLEs: the share of good minutes, mostly high, now and then a bad stretch.
  out.push({
    topic: 'site-sle',
    events: SITES.map((s) => ({
      org_id: ORG,
      site_id: s.id,
      timestamp: nowS,
      sle: {
        'ap-availability': round3(0.97 + Math.random() * 0.03),
        'successful-connect': round3((Math.random() < 0.2 ? 0.7 : 0.9) + Math.random() * 0.09),
        'time-to-connect': round3(0.8 + Math.random() * 0.19),
      },
    })),
  });
  if (round === 1 || Math.random() < 0.3) {
    out.push({
      topic: 'audits',
      events: [event('audits', { ...where(site), admin_name: 'Demo Admin', message: `Update WLAN "Corp-WiFi" on ${site.name}`, timestamp: nowS })],
    });
  }

  // One client's whole session (authenticate → join → IP → disconnect), and one denied client.
  const client = mac();
  const connectMs = (nowS - 120 - Math.floor(Math.random() * 600)) * 1000 + 250;
  const ip = `10.20.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
  const ap = pick(APS);
  out.push(
    ...clientSession({
      client,
      ap,
      connectMs,
      disconnectMs: nowS * 1000 + 500,
      ip,
      hostname: `laptop-${client.slice(-4)}`,
      terminationReason: round % 4 === 0 ? 2 : 1,
      org: ORG,
    }),
  );
  out.push(denial({ client: mac(), ap, atMs: nowS * 1000 - 5000, org: ORG }));
  return out;
}

async function post(delivery) {
  const body = JSON.stringify(delivery);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Mist-webhook', ...signatureHeaders(body, secret) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

// Nothing to flush: `docker compose stop` ends the demo at once.
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));

let failures = 0;
for (let round = 1; round <= rounds; round++) {
  const statuses = [];
  for (const d of deliveries(Math.floor(Date.now() / 1000), round)) {
    try {
      statuses.push(`${d.topic} ${await post(d)}`);
    } catch (err) {
      statuses.push(`${d.topic} ${err.cause?.code ?? err.message}`);
    }
  }
  const bad = statuses.filter((s) => !s.endsWith(' 200'));
  failures += bad.length;
  console.log(`round ${round}: ${statuses.length - bad.length}/${statuses.length} accepted${bad.length ? ` (${bad.join(', ')})` : ''}`);
  if (round < rounds) await new Promise((r) => setTimeout(r, intervalMs));
}
process.exit(failures === 0 ? 0 : 1);
