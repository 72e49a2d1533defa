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

export interface SwitchPort {
  /** The interface (`ge-0/0/11`); its if_stat key adds the unit (`ge-0/0/11.0`). */
  id: string;
  up: boolean;
  txPkts: number;
  rxPkts: number;
}

export interface SwitchOptions {
  mac?: string;
  name?: string;
  /** Epoch seconds: `last_seen`, and `_time` (plus a fraction) on a fresh message. */
  time: number;
  /** Fresh: `_time` and real if_stat counters; cached: no `_time`, `_ttl` 600, counters frozen at an older snapshot. */
  fresh: boolean;
  uptime: number;
  /** ge-0/0/11.0 packet counters, when `ports` is not given. */
  txPkts?: number;
  rxPkts?: number;
  /** CPU idle, percent. */
  idle?: number;
  /** PoE power drawn, W. */
  poeDraw?: number;
  ports?: SwitchPort[];
}
/** A switch's message: CPU, memory, modules, its interfaces. */
export function switchStats(options: SwitchOptions): Record<string, unknown>;

export interface InterfaceCounters {
  txBytes: number;
  rxBytes: number;
  txPkts: number;
  rxPkts: number;
}

export interface GatewayOptions {
  mac?: string;
  name?: string;
  time: number;
  uptime?: number;
  /** An HA pair (the default): cpu2/memory2/spu2 are node 1. */
  ha?: boolean;
  /** CPU idle, percent. */
  idle?: number;
  sessions?: number;
  /** DHCP leases of its LAN. */
  leased?: number;
  /** The WAN interface's received bytes, when `wan` is not given. */
  wanRx?: number;
  wan?: InterfaceCounters;
  lan?: InterfaceCounters;
}
/** A gateway with one WAN and one LAN interface. */
export function gatewayStats(options: GatewayOptions): Record<string, unknown>;
