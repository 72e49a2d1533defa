/**
 * Stats documents shaped like the ones Mist streams on /sites/{id}/stats/devices and
 * /stats/clients (field names and units as ../shared/MIST-API.md §1 describes them; values made
 * up). Every builder takes overrides so a test states only what it is about.
 */

export interface ApOptions {
  mac?: string;
  name?: string;
  /** Epoch seconds; `_time` is this plus a fraction, as on the stream. */
  time?: number;
  uptime?: number;
  [field: string]: unknown;
}

/**
 * An AP's "full" message: model, radios keyed band_24/band_5, ports keyed eth0. AP messages carry
 * no site_id: the site is the channel's.
 */
export function apFull({ mac = '5c5b35000001', name = 'ap-lobby', time = 1_700_000_000, uptime = 86_400, ...rest }: ApOptions = {}) {
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
export function apBasic({ mac = '5c5b35000001', time = 1_700_000_000, uptime = 86_400, ...rest }: ApOptions = {}) {
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
export function wirelessClient({ mac = 'aa0000000001', time = 1_700_000_000, ...rest }: { mac?: string; time?: number; [field: string]: unknown } = {}) {
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
