// Device and client statistics of the demo organisation, as Mist streams them on
// /sites/{site_id}/stats/devices and /sites/{site_id}/stats/clients: the documents are the
// project's generator's (mist-payloads/stream.mjs), with values that move as a network's do:
// counters grow at steady rates with some noise, CPU and utilisation wander, clients roam between
// APs. Plain Node, no dependencies; used by the demo stand-in (mist-stand-in.mjs) and by the tests
// that feed a bridge the stream.
import { apBasic, apFull, gatewayStats, switchStats, wirelessClient } from '../../mist-payloads/stream.mjs';
import { APS, GATEWAYS, SITES, SSIDS, SWITCHES } from './demo-org.mjs';

const BANDS = [
  { key: 'band_24', band: '24', channels: [1, 6, 11], bandwidth: 20, power: 12, noise: -91 },
  { key: 'band_5', band: '5', channels: [36, 52, 100, 149], bandwidth: 80, power: 17, noise: -96 },
  { key: 'band_6', band: '6', channels: [5, 37, 69], bandwidth: 160, power: 18, noise: -98 },
];

const CLIENTS_PER_SITE = 14;

/** A value that wanders between lo and hi, one small step per report. */
function wander(random, value, lo, hi, step) {
  return Math.min(hi, Math.max(lo, value + (random() * 2 - 1) * step));
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export class DemoNetwork {
  /**
   * @param {{ nowMs?: () => number, random?: () => number }} [options]
   */
  constructor({ nowMs = Date.now, random = Math.random } = {}) {
    this.nowMs = nowMs;
    this.random = random;
    const start = nowMs();
    this.lastMs = start;
    // A count since boot (or connection) at roughly its steady rate, so the first report is plausible.
    const since = (fromMs, perSecond) => Math.round(((start - fromMs) / 1000) * perSecond * 0.9);
    // An interface's or a client's counters, with the rates per second `advance` grows them by.
    const traffic = (fromMs, rates) => ({
      rates,
      txBytes: since(fromMs, rates.txBytes),
      rxBytes: since(fromMs, rates.rxBytes),
      txPkts: since(fromMs, rates.txPkts),
      rxPkts: since(fromMs, rates.rxPkts),
    });
    // Devices booted days ago (the gateways longest), so uptimes look like a running network.
    this.aps = APS.map((ap, i) => ({
      ...ap,
      bootMs: start - (3 + i) * 86_400_000,
      cpu: 4 + 3 * i,
      memUsedKb: 380_000 + 20_000 * i,
      radioOffset: i,
    }));
    for (const ap of this.aps) {
      ap.radios = BANDS.map((b, j) => ({
        ...b,
        channel: b.channels[(ap.radioOffset + j) % b.channels.length],
        util: 15 + 10 * j + 3 * ap.radioOffset,
        txBytes: since(ap.bootMs, 800_000),
        rxBytes: since(ap.bootMs, 300_000),
      }));
      ap.eth0 = traffic(ap.bootMs, { txBytes: 1_200_000, rxBytes: 3_800_000, txPkts: 1_100, rxPkts: 2_900 });
    }
    this.switches = SWITCHES.map((sw, i) => ({
      ...sw,
      bootMs: start - (20 + i) * 86_400_000,
      idle: 82,
      poeDraw: 140 + 40 * i,
    }));
    for (const sw of this.switches)
      sw.ports = [1, 2, 3, 4, 5, 6].map((n) => ({
        id: `ge-0/0/${n}`,
        up: n !== 6,
        txRate: 1_000 * n,
        txPkts: since(sw.bootMs, 1_000 * n),
        rxPkts: since(sw.bootMs, 1_500),
      }));
    this.gateways = GATEWAYS.map((gw, i) => ({
      ...gw,
      bootMs: start - (45 + i) * 86_400_000,
      idle: 75,
      sessions: 900 + 300 * i,
    }));
    for (const gw of this.gateways) {
      gw.wan = traffic(gw.bootMs, { txBytes: 2_500_000, rxBytes: 9_000_000, txPkts: 3_000, rxPkts: 7_000 });
      gw.lan = traffic(gw.bootMs, { txBytes: 8_600_000, rxBytes: 2_400_000, txPkts: 6_500, rxPkts: 2_800 });
    }
    this.clients = SITES.flatMap((site, s) =>
      Array.from({ length: CLIENTS_PER_SITE }, (_, n) => ({
        site,
        mac: `a4c3f0${String(s).padStart(2, '0')}${String(n).padStart(4, '0')}`,
        ssid: SSIDS[n % 4 === 3 ? 1 : 0],
        wlanId: site.wlan,
        connectedMs: start - (600 + 400 * n) * 1000,
        rssi: -50 - ((n * 7) % 28),
        ap: APS.filter((a) => a.site === site)[n % 3],
        band: n % 5 === 4 ? BANDS[0] : n % 5 === 3 ? BANDS[2] : BANDS[1],
      })),
    );
    for (const c of this.clients) c.traffic = traffic(c.connectedMs, { txBytes: 150_000, rxBytes: 40_000, txPkts: 120, rxPkts: 60 });
  }

  /** Moves every counter and reading on to now; called before each round of messages. */
  advance() {
    const now = this.nowMs();
    const seconds = Math.max(0, (now - this.lastMs) / 1000);
    this.lastMs = now;
    const r = this.random;
    const grow = (bytesPerSecond) => Math.round(bytesPerSecond * seconds * (0.6 + 0.8 * r()));
    const growTraffic = (t) => {
      for (const key of ['txBytes', 'rxBytes', 'txPkts', 'rxPkts']) t[key] += grow(t.rates[key]);
    };
    for (const ap of this.aps) {
      ap.cpu = wander(r, ap.cpu, 2, 40, 4);
      ap.memUsedKb = Math.round(wander(r, ap.memUsedKb, 300_000, 700_000, 15_000));
      for (const radio of ap.radios) {
        radio.util = wander(r, radio.util, 5, 85, 6);
        radio.txBytes += grow(radio.band === '5' ? 2_500_000 : 600_000);
        radio.rxBytes += grow(radio.band === '5' ? 900_000 : 200_000);
      }
      growTraffic(ap.eth0);
    }
    for (const sw of this.switches) {
      sw.idle = wander(r, sw.idle, 55, 95, 5);
      sw.poeDraw = wander(r, sw.poeDraw, 90, 320, 12);
      for (const p of sw.ports) {
        if (!p.up) continue;
        p.txPkts += grow(p.txRate);
        p.rxPkts += grow(1_500);
      }
    }
    for (const gw of this.gateways) {
      gw.idle = wander(r, gw.idle, 40, 92, 6);
      gw.sessions = Math.round(wander(r, gw.sessions, 300, 4_000, 150));
      growTraffic(gw.wan);
      growTraffic(gw.lan);
    }
    for (const c of this.clients) {
      c.rssi = Math.round(wander(r, c.rssi, -82, -42, 3));
      growTraffic(c.traffic);
      // Now and then a client roams to another AP of its site.
      if (r() < 0.05) c.ap = APS.filter((a) => a.site === c.site)[Math.floor(r() * 3)];
    }
  }

  /** The documents of one round on /sites/{siteId}/stats/devices: each AP (basic, then full), switch and gateway. */
  deviceStats(siteId) {
    const now = this.lastMs;
    const time = now / 1000;
    const out = [];
    for (const ap of this.aps.filter((a) => a.site.id === siteId)) {
      const uptime = Math.floor((now - ap.bootMs) / 1000);
      const clients = this.clients.filter((c) => c.ap.mac === ap.mac);
      out.push(apBasic({ mac: ap.mac, time, uptime }));
      out.push(
        apFull({
          mac: ap.mac,
          name: ap.name,
          time,
          uptime,
          num_clients: clients.length,
          cpu_util: Math.round(ap.cpu),
          mem_used_kb: ap.memUsedKb,
          env_stat: { cpu_temp: 52, ambient_temp: 31 },
          radio_stat: Object.fromEntries(
            ap.radios.map((radio) => [
              radio.key,
              {
                channel: radio.channel,
                bandwidth: radio.bandwidth,
                power: radio.power,
                noise_floor: radio.noise + Math.round(this.random() * 4),
                num_clients: clients.filter((c) => c.band.key === radio.key).length,
                util_all: Math.round(radio.util),
                tx_bytes: radio.txBytes,
                rx_bytes: radio.rxBytes,
              },
            ]),
          ),
          port_stat: {
            eth0: {
              up: true,
              speed: 2500,
              full_duplex: true,
              tx_bytes: ap.eth0.txBytes,
              rx_bytes: ap.eth0.rxBytes,
              tx_pkts: ap.eth0.txPkts,
              rx_pkts: ap.eth0.rxPkts,
            },
          },
        }),
      );
    }
    for (const sw of this.switches.filter((s) => s.site.id === siteId)) {
      const uptime = Math.floor((now - sw.bootMs) / 1000);
      out.push(switchStats({ mac: sw.mac, name: sw.name, time, fresh: true, uptime, idle: Math.round(sw.idle), poeDraw: round(sw.poeDraw), ports: sw.ports }));
    }
    for (const gw of this.gateways.filter((g) => g.site.id === siteId)) {
      const uptime = Math.floor((now - gw.bootMs) / 1000);
      const leased = 40 + (gw.sessions % 60);
      out.push(
        gatewayStats({
          mac: gw.mac,
          name: gw.name,
          time,
          uptime,
          ha: false,
          idle: Math.round(gw.idle),
          sessions: gw.sessions,
          leased,
          wan: gw.wan,
          lan: gw.lan,
        }),
      );
    }
    return out;
  }

  /** The documents of one round on /sites/{siteId}/stats/clients: one per wireless client. */
  clientStats(siteId) {
    const now = this.lastMs;
    return this.clients
      .filter((c) => c.site.id === siteId)
      .map((c) =>
        wirelessClient({
          mac: c.mac,
          time: now / 1000,
          ap_mac: c.ap.mac,
          ssid: c.ssid,
          wlan_id: c.wlanId,
          band: c.band.band,
          channel: this.aps.find((a) => a.mac === c.ap.mac).radios.find((r) => r.key === c.band.key).channel,
          rssi: c.rssi,
          snr: Math.max(5, c.rssi + 95),
          tx_rate: c.band.band === '24' ? 144.4 : 866.7,
          rx_rate: c.band.band === '24' ? 130 : 780,
          tx_bytes: c.traffic.txBytes,
          rx_bytes: c.traffic.rxBytes,
          tx_pkts: c.traffic.txPkts,
          rx_pkts: c.traffic.rxPkts,
          uptime: Math.floor((now - c.connectedMs) / 1000),
        }),
      );
  }
}

/** The SLE metrics of /insights/sites-sle per family, as Mist names them. */
export const SLE_METRICS = {
  wifi: ['ap-availability', 'ap-health', 'capacity', 'coverage', 'roaming', 'successful-connect', 'throughput', 'time-to-connect'],
  wired: ['switch-bandwidth', 'switch-health', 'switch-throughput'],
  wan: ['application_health', 'gateway-health', 'wan-link-health'],
};

/**
 * One site's row of GET /orgs/{org_id}/insights/sites-sle for a 10-minute bucket: the share of
 * good minutes per metric, mostly high with now and then a bad bucket. The same bucket always
 * gives the same values (a hash of site, metric and bucket), as a finished bucket does at Mist.
 */
export function sleRow(siteId, family, start) {
  const row = {
    site_id: siteId,
    num_clients: CLIENTS_PER_SITE,
    ...(family === 'wifi' ? { num_aps: 3 } : family === 'wired' ? { num_switches: 1 } : { num_gateways: 1 }),
  };
  for (const metric of SLE_METRICS[family]) {
    let h = 2166136261;
    for (const c of `${siteId}|${metric}|${start}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    const bad = h % 10 === 0;
    row[metric] = round((bad ? 0.6 : 0.9) + (((h >>> 8) % 1000) / 1000) * (bad ? 0.25 : 0.099), 3);
  }
  return row;
}
