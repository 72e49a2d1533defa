/** Mist WebSocket stream messages (./stream.mjs): stats documents with overrides. */

export interface ApOptions {
  mac?: string;
  name?: string;
  /** Epoch seconds; `_time` is this plus a fraction, as on the stream. */
  time?: number;
  uptime?: number;
  [field: string]: unknown;
}

/** An AP's "full" message: model, radios keyed band_24/band_5, ports keyed eth0; no site_id (the channel's). */
export function apFull(options?: ApOptions): Record<string, unknown>;
/** The "basic" message an AP sends just before its full one: no model, no radios. */
export function apBasic(options?: Omit<ApOptions, 'name'>): Record<string, unknown>;
export interface WirelessClientStats {
  mac: string;
  ap_mac: string;
  ssid: string;
  wlan_id: string;
  band: string;
  channel: number;
  rssi: number;
  snr: number;
  tx_rate: number;
  rx_rate: number;
  tx_bytes: number;
  rx_bytes: number;
  tx_pkts: number;
  rx_pkts: number;
  uptime: number;
  last_seen: number;
  _time: number;
  _ttl: number;
  [field: string]: unknown;
}
/** A wireless client's stats message (one client per message, about once a minute); `options` beyond mac and time replace its fields. */
export function wirelessClient(options?: { mac?: string; time?: number; [field: string]: unknown }): WirelessClientStats;

export interface SwitchOptions {
  mac?: string;
  /** Epoch seconds: `last_seen`, and `_time` (plus a fraction) on a fresh message. */
  time: number;
  /** Fresh: `_time` and real if_stat counters; cached: no `_time`, `_ttl` 600, counters frozen at an older snapshot. */
  fresh: boolean;
  uptime: number;
  /** ge-0/0/11.0 packet counters. */
  txPkts: number;
  rxPkts: number;
  idle?: number;
}
/** A switch's message: CPU, memory, modules, two interfaces. */
export function switchStats(options: SwitchOptions): Record<string, unknown>;
/** A gateway (an HA pair: cpu2/memory2/spu2 are node 1) with one WAN and one LAN interface. */
export function gatewayStats(options: { mac?: string; time: number; uptime?: number; wanRx?: number }): Record<string, unknown>;
