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
import { createHmac, randomBytes } from 'node:crypto';
import { APS, ORG as DEMO_ORG, SITES } from './demo-org.mjs';

const url = process.env.BRIDGE_URL ?? 'http://bridge:4320/mist/webhook';
const secret = process.env.MIST_WEBHOOK_SECRET;
const intervalMs = Number(process.env.DEMO_INTERVAL_SECONDS ?? 30) * 1000;
const rounds = process.env.DEMO_ROUNDS === undefined ? Infinity : Number(process.env.DEMO_ROUNDS);
if (!secret) {
  console.error('send-deliveries: set MIST_WEBHOOK_SECRET to the bridge\'s webhook secret');
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
const uuid = () => {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const round3 = (x) => Math.round(x * 1000) / 1000;

/** One round of deliveries, as Mist would send them for the last few minutes. */
function deliveries(nowS, round) {
  const out = [];
  const flapping = pick(APS);
  const down = Math.random() < 0.5;
  out.push({
    topic: 'device-updowns',
    events: [{ org_id: ORG, site_id: flapping.site.id, site_name: flapping.site.name, ap: flapping.mac, ap_name: flapping.name, type: down ? 'AP_DISCONNECTED' : 'AP_CONNECTED', timestamp: nowS }],
  });
  const [type, severity, group] = pick(ALARMS);
  const site = pick(SITES);
  out.push({ topic: 'alarms', events: [{ id: uuid(), org_id: ORG, site_id: site.id, site_name: site.name, type, severity, group, count: 1 + Math.floor(Math.random() * 3), timestamp: nowS }] });
  out.push({
    topic: 'client-latency',
    events: SITES.map((s) => ({
      org_id: ORG, site_id: s.id, timestamp: nowS - 60,
      avg_dhcp: round3(0.01 + Math.random() * 0.03), min_dhcp: 0.004, max_dhcp: round3(0.05 + Math.random() * 0.2),
      avg_dns: round3(0.01 + Math.random() * 0.04), min_dns: 0.002, max_dns: round3(0.06 + Math.random() * 0.3),
      avg_auth: round3(0.1 + Math.random() * 0.3), min_auth: 0.05, max_auth: round3(0.4 + Math.random() * 0.8),
    })),
  });
  // Site SLEs: the share of good minutes, mostly high, now and then a bad stretch.
  out.push({
    topic: 'site-sle',
    events: SITES.map((s) => ({
      org_id: ORG, site_id: s.id, timestamp: nowS,
      sle: { 'ap-availability': round3(0.97 + Math.random() * 0.03), 'successful-connect': round3((Math.random() < 0.2 ? 0.7 : 0.9) + Math.random() * 0.09), 'time-to-connect': round3(0.8 + Math.random() * 0.19) },
    })),
  });
  if (round === 1 || Math.random() < 0.3) {
    out.push({ topic: 'audits', events: [{ id: uuid(), org_id: ORG, site_id: site.id, admin_name: 'Demo Admin', message: `Update WLAN "Corp" on ${site.name}`, src_ip: '198.51.100.10', timestamp: nowS }] });
  }

  // One client's whole session (authenticate → join → IP → disconnect), and one denied client.
  const ap = pick(APS);
  const client = mac();
  const connect = nowS - 120 - Math.floor(Math.random() * 600);
  const duration = nowS - connect;
  out.push({
    topic: 'nac-events',
    events: [
      { org_id: ORG, site_id: ap.site.id, type: 'NAC_CLIENT_PERMIT', mac: client, ap: ap.mac, ssid: 'Corp', auth_type: 'eap-tls', client_type: 'wireless', nacrule_matched: true, username: `user${client.slice(-4)}@example.com`, timestamp: (connect - 1) * 1000 + 250 },
      { org_id: ORG, site_id: ap.site.id, type: 'NAC_CLIENT_DENY', mac: mac(), ap: ap.mac, ssid: 'Corp', auth_type: 'mab', client_type: 'wireless', nacrule_matched: false, timestamp: nowS * 1000 - 5000 },
    ],
  });
  const association = { org_id: ORG, site_id: ap.site.id, site_name: ap.site.name, mac: client, ap: ap.mac, ap_name: ap.name, bssid: ap.mac.slice(0, 10) + '11', band: '5', ssid: 'Corp', wlan_id: ap.site.wlan, connect, connect_float: connect + 0.25, version: 2 };
  out.push({ topic: 'client-join', events: [{ ...association, rssi: -55, timestamp: connect }] });
  out.push({ topic: 'client-info', events: [{ org_id: ORG, site_id: ap.site.id, mac: client, ip: `10.20.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`, hostname: `laptop-${client.slice(-4)}`, timestamp: connect + 2 }] });
  out.push({
    topic: 'client-sessions',
    events: [{
      ...association, rssi: -62, next_ap: '', client_family: 'Mac', client_manufacture: 'Apple', client_model: 'MacBookPro18,1', client_os: 'macOS',
      disconnect: nowS, disconnect_float: nowS + 0.5, duration, termination_reason: round % 4 === 0 ? 2 : 1, timestamp: nowS,
    }],
  });
  return out;
}

async function post(delivery) {
  const body = JSON.stringify(delivery);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Mist-webhook', 'x-mist-signature-v2': createHmac('sha256', secret).update(body).digest('hex') },
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
