// A Mist organisation's stream statistics, generated: the documents Mist's WebSocket stream sends
// on /sites/{site_id}/stats/devices and /sites/{site_id}/stats/clients, shaped as
// ../shared/MIST-API.md §1 and the API corpus describe them (no corpus file copied). Shared by the
// mapping micro-benchmark (stream-mapping.mjs) and the stream scenario of `npm run bench`
// (stream-server.mjs replays it over a WebSocket).
//
// The default organisation: 5,000 APs, 500 switches (48 ports each), 100 gateways (an HA pair each)
// on 250 sites, and 50,000 wireless clients. A device round is what the stream sends in ~25 s:
// every AP's basic and full message, one message per switch (a fresh one, with _time and live
// counters, every third round; cached ones otherwise) and one per gateway. A client round is one
// message per client (~60 s). Counters and uptimes move between rounds, so every round updates
// existing series; every device of a kind has the same fields (so the same series), and client
// i is on AP i % aps, on that AP's site.

export const ORG_ID = '0a9e0000-0000-4000-8000-0000000000aa';
export const FULL_ORG = Object.freeze({ aps: 5_000, switches: 500, gateways: 100, clients: 50_000, sites: 250 });
export const DEVICE_ROUND_SECONDS = 25;
export const CLIENT_ROUND_SECONDS = 60;
export const SSIDS = ['corp', 'guest', 'iot'];

const hex = (n, width) => n.toString(16).padStart(width, '0');

/** The organisation `FULL_ORG` times `scale` (at least one of each, and one site). */
export function scaledOrg(scale) {
  const n = (x) => Math.max(1, Math.round(x * scale));
  return { aps: n(FULL_ORG.aps), switches: n(FULL_ORG.switches), gateways: n(FULL_ORG.gateways), clients: n(FULL_ORG.clients), sites: n(FULL_ORG.sites) };
}

/**
 * The generator of one organisation's messages. Device messages of a round are numbered
 * 0 … devicesPerRound − 1 (each AP's basic then full message, then the switches, then the
 * gateways); client messages 0 … clients − 1. Each is [kind, site id, document]; `t` is the report
 * time (epoch seconds) and `round` how many rounds came before, which sets uptimes and counters.
 */
export function createOrg({ aps, switches, gateways, clients, sites }) {
  const siteOf = (i) => `6a1e${hex(i % sites, 4)}-0000-4000-8000-00000000c0de`;
  const apMac = (i) => `5c5b35${hex(i, 6)}`;
  const switchMac = (i) => `d0dd49${hex(i, 6)}`;
  const gatewayMac = (i) => `4c9614${hex(i, 6)}`;

  function radio(band, r, channel) {
    return {
      mac: `5c5b35${hex(r, 6)}`,
      channel,
      bandwidth: band === 'band_24' ? 20 : 80,
      power: 12 + (r % 6),
      noise_floor: -88 - (r % 8),
      num_clients: r % 12,
      num_wlans: 2,
      usage: band.slice(5),
      util_all: 10 + (r % 50),
      util_tx: 3,
      util_rx_in_bss: 2,
      util_rx_other_bss: 9,
      util_unknown_wifi: 1,
      util_non_wifi: 2,
      util_undecodable_wifi: 0,
      tx_bytes: 1_000_000_000 + r * 1000,
      rx_bytes: 400_000_000 + r * 500,
      tx_pkts: 2_000_000 + r,
      rx_pkts: 1_000_000 + r,
    };
  }

  function apFull(i, t, round) {
    const grow = round * 25_000;
    return {
      mac: apMac(i),
      name: `ap-${i}`,
      type: 'ap',
      model: 'AP45',
      serial: `A07${hex(i, 8)}`,
      version: '0.14.29313',
      hw_rev: 'C02',
      site_id: undefined,
      uptime: 1_000_000 + round * 25,
      last_seen: t,
      _time: t + 0.25,
      _ttl: 300,
      _partition: i % 64,
      _offset: 4_000_000_000 + round,
      ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
      ext_ip: '66.129.234.28',
      num_clients: i % 30,
      cpu_util: i % 40,
      cpu_user: 7_496_631,
      cpu_system: 21_921_854,
      mem_total_kb: 505_468,
      mem_used_kb: 202_096 + (i % 1000),
      tx_bps: 8067,
      rx_bps: 9276,
      tx_bytes: 1_218_643_296 + grow,
      rx_bytes: 591_310_830 + grow,
      tx_pkts: 2_556_228 + round * 30,
      rx_pkts: 2_752_869 + round * 30,
      power_src: 'PoE 802.3at',
      power_budget: 8400,
      power_constrained: false,
      env_stat: { cpu_temp: 53, ambient_temp: 43, humidity: 9, attitude: 0, pressure: 968, accel_x: -0.09, accel_y: 0, accel_z: -1.02, vcore_voltage: 0 },
      ip_stat: { ip: '192.168.95.3', netmask: '255.255.255.0', gateway: '192.168.95.1', dns: ['8.8.8.8'], ips: { vlan1: '192.168.95.3/24' } },
      ble_stat: {
        beacon_enabled: true,
        beacon_rate: 4,
        major: 894,
        minors: [9328, 9329],
        power: 8,
        rx_bytes: 158_500_843,
        rx_pkts: 3_549_163,
        tx_bytes: 509_640,
        tx_pkts: 85_411,
        tx_resets: 0,
        uuid: 'af010e2b-f829-4975-b49e-2e896ed1d627',
      },
      lldp_stat: { chassis_id: 'd0:07:ca:f5:21:00', port_id: 'ge-0/0/4', system_name: 'idf-switch', power_allocated: 0, power_draw: 0 },
      radio_stat: { band_24: radio('band_24', i * 3, 6), band_5: radio('band_5', i * 3 + 1, 36), band_6: radio('band_6', i * 3 + 2, 37) },
      port_stat: {
        eth0: {
          up: true,
          speed: 1000,
          full_duplex: true,
          tx_bytes: 1_283_744_961 + grow,
          rx_bytes: 1_284_143_195 + grow,
          tx_pkts: 3_990_463 + round,
          rx_pkts: 5_199_816 + round,
          rx_errors: 0,
          rx_peak_bps: 17_585,
          tx_peak_bps: 26_484,
        },
        eth1: { up: false, speed: 0, full_duplex: false, tx_bytes: 0, rx_bytes: 0, tx_pkts: 0, rx_pkts: 0, rx_errors: 0 },
      },
      auto_upgrade_stat: { lastcheck: t - 1000 },
    };
  }

  function apBasic(i, t, round) {
    return {
      mac: apMac(i),
      last_seen: t,
      uptime: 1_000_000 + round * 25,
      version: '0.14.29313',
      _partition: i % 64,
      _offset_apbasic: 4_639_768_722 + round,
      ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
      ip_stat: { dns: ['10.10.12.11', '10.10.12.12'], ips: { vlan12: '10.10.12.25/25' }, gateway: '10.10.12.1', ip: '10.10.12.25', netmask: '255.255.255.128' },
      ble_stat: { tx_pkts: 9073, tx_bytes: 105_431, rx_pkts: 393_432_193, rx_bytes: 2_772_782_221, tx_resets: 0 },
      _time: t + 0.01,
    };
  }

  function switchStats(i, t, round) {
    const fresh = round % 3 === 0;
    const counted = fresh ? round : 0;
    const if_stat = {};
    for (let p = 0; p < 48; p++) {
      if_stat[`ge-0/0/${p}.0`] = {
        port_id: `ge-0/0/${p}`,
        up: p % 5 !== 0,
        port_usage: 'lan',
        tx_pkts: 19_758 + p + counted * 100,
        rx_pkts: 2_570 + p + counted * 50,
        tx_bytes: 0,
        rx_bytes: 0,
      };
    }
    return {
      mac: switchMac(i),
      name: `sw-${i}`,
      hostname: `sw-${i}`,
      type: 'switch',
      model: 'EX4100-48P',
      version: '23.4R2-S4.11',
      uptime: 1_209_600 + round * 25,
      last_seen: t,
      ...(fresh ? { _time: t + 0.347, _ttl: 190 } : { _ttl: 600 }),
      cpu_stat: { idle: 70 + (i % 20), user: 10, system: 8, interrupt: 2, load_avg: [0.97, 1.05, 1.02] },
      memory_stat: { usage: 40 + (i % 30) },
      clients_stats: { total: { num_wired_clients: 20 + (i % 20), num_aps: [4] } },
      module_stat: [
        {
          fpc_idx: 0,
          model: 'EX4100-48P',
          serial: `PX87${hex(i, 8)}`,
          vc_role: 'master',
          poe: { max_power: 740, power_draw: 100 + (i % 100) },
          temperatures: [
            { name: 'CPU', celsius: 45, status: 'ok' },
            { name: 'PSU 0', celsius: 39, status: 'ok' },
          ],
          fans: [{ name: 'Fan 0', status: 'ok', airflow: 'out' }],
          psus: [{ name: 'Power Supply 0', status: 'ok' }],
        },
      ],
      if_stat,
    };
  }

  function gatewayStats(i, t, round) {
    const if_stat = {};
    for (let p = 0; p < 12; p++) {
      const wan = p < 2;
      if_stat[`ge-0/0/${p}.0`] = {
        port_id: `ge-0/0/${p}`,
        up: true,
        port_usage: wan ? 'wan' : 'lan',
        ...(wan ? { wan_name: p === 0 ? 'internet' : 'mpls' } : {}),
        tx_bytes: 88_000_000_000 + round * 1_000_000 + p,
        rx_bytes: 412_000_000_000 + round * 4_000_000 + p,
        tx_pkts: 90_000_000 + round * 1000,
        rx_pkts: 310_000_000 + round * 3000,
      };
    }
    const dhcpd_stat = {};
    for (const n of ['corp', 'guest', 'iot', 'mgmt', 'voice', 'byod']) dhcpd_stat[n] = { num_ips: 200, num_leased: 10 + (i % 50) };
    const spu = (sessions) => [
      { spu_cpu: 4, spu_current_session: sessions, spu_max_session: 65_536, spu_memory: 38, spu_pending_session: 0, spu_uptime: 600_000, spu_valid_session: 0 },
    ];
    return {
      mac: gatewayMac(i),
      name: `gw-${i}`,
      type: 'gateway',
      model: 'SRX320',
      is_ha: true,
      uptime: 600_000 + round * 25,
      last_seen: t,
      _time: t + 0.5,
      _ttl: 190,
      cpu_stat: { idle: 70, user: 20, system: 10, interrupt: 0, load_avg: [0.18, 0.31, 0.39] },
      cpu2_stat: { idle: 90, user: 6, system: 4, interrupt: 0, load_avg: [0.13, 0.17, 0.16] },
      memory_stat: { usage: 61 },
      memory2_stat: { usage: 44 },
      spu_stat: spu(1210 + round),
      spu2_stat: spu(15),
      dhcpd_stat,
      if_stat,
      module_stat: [
        {
          mac: gatewayMac(i),
          model: 'SRX320',
          temperatures: [
            { name: 'Routing Engine', celsius: 47, status: 'ok' },
            { name: 'Routing Engine CPU', celsius: 64, status: 'ok' },
          ],
        },
      ],
      cluster_config: {
        configuration: 'active-passive',
        operational: 'active-passive',
        status: 'Green',
        primary_node_health: 'Healthy',
        secondary_node_health: 'Healthy',
      },
    };
  }

  function client(i, t, round) {
    const ap = i % aps;
    return {
      mac: `aa${hex(i, 10)}`,
      ap_mac: apMac(ap),
      ap_id: `00000000-0000-0000-1000-5c5b35${hex(ap, 6)}`,
      assoc_time: t - 3600,
      band: i % 3 === 0 ? '24' : '5',
      bssid: `5c5b35${hex(ap * 3, 6)}`,
      channel: i % 3 === 0 ? 6 : 36,
      dual_band: true,
      family: 'Mac',
      hostname: `laptop-${i}`,
      idle_time: 3,
      ip: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      is_guest: false,
      key_mgmt: 'WPA3-SAE-FT/CCMP',
      last_seen: t,
      manufacture: 'Apple',
      map_id: 'ed7a0a4e-8835-4c94-ba78-6c1169c9f135',
      model: '',
      num_locating_aps: 2,
      os: 'macOS 14',
      proto: 'ax',
      rssi: -40 - (i % 45),
      rx_bps: 0,
      rx_bytes: 14_451_780 + round * 100_000 + i,
      rx_pkts: 44_175 + round * 100,
      rx_rate: 6,
      rx_retries: 2010,
      snr: 10 + (i % 40),
      ssid: SSIDS[i % 3],
      tx_bps: 0,
      tx_bytes: 56_364_072 + round * 400_000 + i,
      tx_pkts: 43_685 + round * 300,
      tx_rate: 173.3,
      tx_retries: 5413,
      uptime: 3600 + round * 60,
      username: `user${i}@corp.example`,
      vlan_id: '1',
      wlan_id: '497fc18a-79b5-405a-bf5a-192eed31ea60',
      x: 695.3,
      y: 760.6,
      _time: t + 0.5,
      _ttl: 300,
    };
  }

  const devicesPerRound = 2 * aps + switches + gateways;

  /** The `j`th device message of a round. */
  function deviceMessage(j, t, round) {
    if (j < 2 * aps) {
      const i = j >> 1;
      return ['stats/devices', siteOf(i), j % 2 === 0 ? apBasic(i, t, round) : apFull(i, t, round)];
    }
    j -= 2 * aps;
    if (j < switches) return ['stats/devices', siteOf(j), switchStats(j, t, round)];
    j -= switches;
    return ['stats/devices', siteOf(j), gatewayStats(j, t, round)];
  }

  /** Client `i`'s message, on the site of its AP. */
  function clientMessage(i, t, round) {
    return ['stats/clients', siteOf(i % aps), client(i, t, round)];
  }

  /** Every device of the organisation: its MAC, kind (the document's `type`), name and site. */
  function devices() {
    const out = [];
    for (let i = 0; i < aps; i++) out.push({ mac: apMac(i), type: 'ap', name: `ap-${i}`, site: siteOf(i) });
    for (let i = 0; i < switches; i++) out.push({ mac: switchMac(i), type: 'switch', name: `sw-${i}`, site: siteOf(i) });
    for (let i = 0; i < gateways; i++) out.push({ mac: gatewayMac(i), type: 'gateway', name: `gw-${i}`, site: siteOf(i) });
    return out;
  }

  /** Clients per site, SSID and band (`site|ssid|band` → count), as the client documents say. */
  function clientGroups() {
    const out = new Map();
    for (let i = 0; i < clients; i++) {
      const key = `${siteOf(i % aps)}|${SSIDS[i % 3]}|${i % 3 === 0 ? '24' : '5'}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
    return out;
  }

  return { sizes: { aps, switches, gateways, clients, sites }, devicesPerRound, siteOf, deviceMessage, clientMessage, devices, clientGroups };
}
