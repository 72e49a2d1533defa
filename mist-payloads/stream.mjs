// Mist WebSocket stream messages: the one generator of stream statistics for the tests, the
// benchmark and the demo. Plain Node, no dependencies, no build.
//
// Stats documents shaped like the ones Mist streams on /sites/{id}/stats/devices and
// /stats/clients (field names and units as ../shared/MIST-API.md §1 describes them; values made
// up). Every builder takes overrides so a caller states only what it is about.

/**
 * An AP's "full" message: model, radios keyed band_24/band_5, ports keyed eth0. AP messages carry
 * no site_id: the site is the channel's.
 */
export function apFull({ mac = '5c5b35000001', name = 'ap-lobby', time = 1_700_000_000, uptime = 86_400, ...rest } = {}) {
  return {
    mac,
    name,
    type: 'ap',
    model: 'AP45',
    version: '0.14.29313',
    uptime,
    last_seen: time,
    _time: time + 0.25,
    _ttl: 300,
    num_clients: 7,
    cpu_util: 5,
    mem_total_kb: 1_000_000,
    mem_used_kb: 420_000,
    tx_bytes: 9_000_000_000,
    rx_bytes: 4_000_000_000,
    tx_pkts: 12_000_000,
    rx_pkts: 8_000_000,
    radio_stat: {
      band_24: { channel: 6, bandwidth: 20, power: 12, noise_floor: -90, num_clients: 2, util_all: 31 },
      band_5: { channel: 36, bandwidth: 80, power: 17, noise_floor: -95, num_clients: 5, util_all: 12 },
    },
    port_stat: { eth0: { up: true, speed: 1000, full_duplex: true, tx_bytes: 9_100_000_000, rx_bytes: 4_100_000_000 } },
    ...rest,
  };
}

/** The "basic" message an AP sends just before its full one: no model, no radios. */
export function apBasic({ mac = '5c5b35000001', time = 1_700_000_000, uptime = 86_400, ...rest } = {}) {
  return {
    mac,
    uptime,
    last_seen: time,
    version: '0.14.29313',
    _time: time + 0.01,
    _offset_apbasic: 4_000_000_001,
    ip_stat: { ip: '10.0.0.21', netmask: '255.255.255.0', gateway: '10.0.0.1' },
    ble_stat: { tx_pkts: 900, tx_bytes: 100_000, rx_pkts: 3_000_000, rx_bytes: 200_000_000 },
    ...rest,
  };
}

/** A wireless client's stats message (one client per message, about once a minute). */
export function wirelessClient({ mac = 'aa0000000001', time = 1_700_000_000, ...rest } = {}) {
  return {
    mac,
    ap_mac: '5c5b35000001',
    ssid: 'corp',
    wlan_id: 'be22bba7-8e22-e1cf-5185-b880816fe2cf',
    band: '5',
    channel: 36,
    rssi: -61,
    snr: 34,
    tx_rate: 866.7,
    rx_rate: 780,
    tx_bytes: 52_000_000,
    rx_bytes: 9_000_000,
    tx_pkts: 40_000,
    rx_pkts: 21_000,
    uptime: 3_600,
    last_seen: time,
    _time: time + 0.5,
    _ttl: 300,
    ...rest,
  };
}

/**
 * A switch's message. Fresh ones carry `_time` and real if_stat counters; cached ones (more
 * frequent) no `_time`, a `_ttl` of 600 and if_stat counters frozen at an older snapshot.
 * `ports` are its interfaces (by default ge-0/0/11, with `txPkts`/`rxPkts`, and ge-0/0/1, down).
 */
export function switchStats({
  mac = 'd0dd49000002',
  name = 'sw-idf-2',
  time,
  fresh,
  uptime,
  txPkts,
  rxPkts,
  idle = 80,
  poeDraw = 212.5,
  ports = [
    { id: 'ge-0/0/11', up: true, txPkts, rxPkts },
    { id: 'ge-0/0/1', up: false, txPkts: 3669, rxPkts: 3500 },
  ],
}) {
  return {
    mac,
    name,
    hostname: name,
    type: 'switch',
    model: 'EX4100-48P',
    version: '23.4R2-S4.11',
    uptime,
    last_seen: time,
    ...(fresh ? { _time: time + 0.347, _ttl: 190 } : { _ttl: 600 }),
    cpu_stat: { idle, user: 100 - idle - 5, system: 4, interrupt: 1, load_avg: [0.5, 0.4, 0.3] },
    memory_stat: { usage: 47 },
    clients_stats: { total: { num_wired_clients: 31, num_aps: [4] } },
    module_stat: [
      {
        fpc_idx: 0,
        model: 'EX4100-48P',
        vc_role: 'master',
        poe: { max_power: 740, power_draw: poeDraw },
        temperatures: [
          { name: 'CPU', celsius: 52, status: 'ok' },
          { name: 'PSU 0', celsius: 39, status: 'ok' },
        ],
      },
    ],
    // Switches count packets per port, not bytes: their byte counters read 0 on the stream.
    if_stat: Object.fromEntries(
      ports.map((p) => [`${p.id}.0`, { port_id: p.id, up: p.up, port_usage: 'lan', tx_pkts: p.txPkts, rx_pkts: p.rxPkts, tx_bytes: 0, rx_bytes: 0 }]),
    ),
  };
}

/**
 * A gateway with one WAN and one LAN interface; by default an HA pair (cpu2/memory2/spu2 are
 * node 1). `wan` and `lan` are the interfaces' counters.
 */
export function gatewayStats({
  mac = '4c9614000003',
  name = 'gw-branch',
  time,
  uptime = 600_000,
  ha = true,
  idle = 70,
  sessions = 1210,
  leased = 57,
  wanRx = 412_000_000_000,
  wan = { txBytes: 88_000_000_000, rxBytes: wanRx, txPkts: 90_000_000, rxPkts: 310_000_000 },
  lan = { txBytes: 1000, rxBytes: 2000, txPkts: 10, rxPkts: 20 },
}) {
  const counters = (c) => ({ tx_bytes: c.txBytes, rx_bytes: c.rxBytes, tx_pkts: c.txPkts, rx_pkts: c.rxPkts });
  return {
    mac,
    name,
    type: 'gateway',
    model: 'SRX320',
    ...(ha && { is_ha: true }),
    uptime,
    last_seen: time,
    _time: time + 0.5,
    _ttl: 190,
    cpu_stat: { idle, user: 100 - idle - 10, system: 10, interrupt: 0 },
    memory_stat: { usage: 61 },
    spu_stat: [{ spu_cpu: 4, spu_current_session: sessions, spu_max_session: 65536, spu_memory: 38 }],
    ...(ha && {
      cpu2_stat: { idle: 90, user: 6, system: 4, interrupt: 0 },
      memory2_stat: { usage: 44 },
      spu2_stat: [{ spu_cpu: 1, spu_current_session: 15, spu_max_session: 65536, spu_memory: 30 }],
    }),
    dhcpd_stat: { corp: { num_ips: 200, num_leased: leased } },
    if_stat: {
      'ge-0/0/0.0': { port_id: 'ge-0/0/0', up: true, port_usage: 'wan', wan_name: 'internet', ...counters(wan) },
      'ge-0/0/4.100': { port_id: 'ge-0/0/4', up: true, port_usage: 'lan', ...counters(lan) },
    },
  };
}
