/**
 * Switch and gateway stats documents shaped like the ones Mist streams on
 * /sites/{id}/stats/devices (../shared/MIST-API.md §1; values made up), beside the AP and client
 * builders of ./mist-ws/fixtures.ts.
 */

export interface SwitchOptions {
  mac?: string;
  /** Epoch seconds: `last_seen`, and `_time` (plus a fraction) on a fresh message. */
  time: number;
  /**
   * Fresh messages carry `_time` and real if_stat counters; cached ones (more frequent) no
   * `_time`, a `_ttl` of 600 and if_stat counters frozen at an older snapshot.
   */
  fresh: boolean;
  uptime: number;
  /** ge-0/0/11.0 packet counters. */
  txPkts: number;
  rxPkts: number;
  idle?: number;
}

export function switchStats({ mac = 'd0dd49000002', time, fresh, uptime, txPkts, rxPkts, idle = 80 }: SwitchOptions) {
  return {
    mac,
    name: 'sw-idf-2',
    hostname: 'sw-idf-2',
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
        poe: { max_power: 740, power_draw: 212.5 },
        temperatures: [
          { name: 'CPU', celsius: 52, status: 'ok' },
          { name: 'PSU 0', celsius: 39, status: 'ok' },
        ],
      },
    ],
    if_stat: {
      'ge-0/0/11.0': { port_id: 'ge-0/0/11', up: true, port_usage: 'lan', tx_pkts: txPkts, rx_pkts: rxPkts, tx_bytes: 0, rx_bytes: 0 },
      'ge-0/0/1.0': { port_id: 'ge-0/0/1', up: false, port_usage: 'lan', tx_pkts: 3669, rx_pkts: 3500, tx_bytes: 0, rx_bytes: 0 },
    },
  };
}

/** A gateway (an HA pair: cpu2/memory2/spu2 are node 1) with one WAN and one LAN interface. */
export function gatewayStats({ mac = '4c9614000003', time, uptime = 600_000, wanRx = 412_000_000_000 }: { mac?: string; time: number; uptime?: number; wanRx?: number }) {
  return {
    mac,
    name: 'gw-branch',
    type: 'gateway',
    model: 'SRX320',
    is_ha: true,
    uptime,
    last_seen: time,
    _time: time + 0.5,
    _ttl: 190,
    cpu_stat: { idle: 70, user: 20, system: 10, interrupt: 0 },
    cpu2_stat: { idle: 90, user: 6, system: 4, interrupt: 0 },
    memory_stat: { usage: 61 },
    memory2_stat: { usage: 44 },
    spu_stat: [{ spu_cpu: 4, spu_current_session: 1210, spu_max_session: 65536, spu_memory: 38 }],
    spu2_stat: [{ spu_cpu: 1, spu_current_session: 15, spu_max_session: 65536, spu_memory: 30 }],
    dhcpd_stat: { corp: { num_ips: 200, num_leased: 57 } },
    if_stat: {
      'ge-0/0/0.0': { port_id: 'ge-0/0/0', up: true, port_usage: 'wan', wan_name: 'internet', tx_bytes: 88_000_000_000, rx_bytes: wanRx, tx_pkts: 90_000_000, rx_pkts: 310_000_000 },
      'ge-0/0/4.100': { port_id: 'ge-0/0/4', up: true, port_usage: 'lan', tx_bytes: 1000, rx_bytes: 2000, tx_pkts: 10, rx_pkts: 20 },
    },
  };
}
