import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Ack } from '../acks/ack.js';
import { ConfigError } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { ExportHealth } from './health.js';
import { prometheusText } from './prometheus-text.js';
import type { ExportTelemetry } from './records.js';

export interface PrometheusEndpointOptions {
  host: string;
  port: number;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The metrics stage when OTEL_METRICS_EXPORTER=prometheus: instead of pushing a collection every
 * interval, every scrape of `GET /metrics` is one collection of every instrument and producer,
 * named as Prometheus names the same metrics received over OTLP (src/self/prometheus.ts), so the
 * dashboards work either way.
 *
 * Acknowledgements as for the push loop (./metrics-export.ts): points are cumulative, so a scrape
 * whose collection began after a batch's contribution was recorded carries it, and the batch's
 * `metrics` acknowledgement is released once that scrape's answer has been written out whole. A
 * scrape that fails (the collection throws, the scraper hangs up first) hands its contributions
 * to the next, and the gauges that carry their events' times send that collection's points again. Nobody scraping means nothing is delivered: a journaled delivery stays in the
 * journal until a scrape reads its contribution.
 */
export class PrometheusMetricsEndpoint {
  /** Acknowledgements of contributions recorded since the last collection began. */
  private recorded: Ack[] = [];
  /** Contributions in collections whose answer is still being written. */
  private inFlight = 0;
  private collections: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly reader: MetricReader,
    /** Called before each collection: hands what was recorded to the SDK's instruments. */
    private readonly beforeCollect: () => void,
    /** Called once a scrape is over: whether its collection's points were delivered. */
    private readonly afterExport: (delivered: boolean) => void,
    private readonly health: ExportHealth,
    private readonly telemetry: ExportTelemetry,
    private readonly log: Logger,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
  }

  /** Listens on `options`; rejects naming the variables when the address cannot be had. */
  static async start(
    options: PrometheusEndpointOptions,
    reader: MetricReader,
    beforeCollect: () => void,
    afterExport: (delivered: boolean) => void,
    health: ExportHealth,
    telemetry: ExportTelemetry,
    log: Logger,
  ): Promise<PrometheusMetricsEndpoint> {
    const server = createServer({ keepAliveTimeout: 65_000 });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => resolve());
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why =
        e.code === 'EADDRINUSE'
          ? 'the port is already in use by another process'
          : e.code === 'EACCES'
            ? 'not allowed (ports below 1024 need privileges)'
            : (e.code ?? e.message);
      throw new ConfigError(
        `OTEL_EXPORTER_PROMETHEUS_PORT, OTEL_EXPORTER_PROMETHEUS_HOST (exporters.prometheusPort, exporters.prometheusHost): cannot serve metrics for scraping on ${options.host}:${options.port}: ${why}`,
      );
    }
    const { port } = server.address() as AddressInfo;
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    return new PrometheusMetricsEndpoint(
      server,
      `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
      reader,
      beforeCollect,
      afterExport,
      health,
      telemetry,
      log,
    );
  }

  /** A batch's metric contribution was recorded: `ack` is held until a scrape carrying it has been answered. */
  contributed(ack: Ack): void {
    ack.hold('metrics');
    this.recorded.push(ack);
  }

  /**
   * Wait for a scrape to read everything recorded so far, until `deadline` (epoch ms). There is
   * nothing to push: at shutdown only a scraper can still take what is pending.
   */
  async flush(deadline: number): Promise<boolean> {
    while (this.pending()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        this.waiters.add(done);
      });
    }
    return true;
  }

  async shutdown(_deadline: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private pending(): boolean {
    return this.recorded.length > 0 || this.inFlight > 0;
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method === 'HEAD') {
      // Answered without collecting: a collection hands over what producers hold, once.
      res.writeHead(200, { 'content-type': CONTENT_TYPE }).end();
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // One collection at a time: a producer hands over what it holds once, to one collection.
    this.collections = this.collections.then(() => this.scrape(res));
  }

  private async scrape(res: ServerResponse): Promise<void> {
    const covered = this.recorded;
    this.recorded = [];
    this.inFlight += covered.length;
    const started = performance.now();
    let body: string;
    let points = 0;
    try {
      this.beforeCollect();
      const { resourceMetrics, errors } = await this.reader.collect();
      for (const e of errors) this.log.warn('metric collection error', { error: String(e) });
      body = prometheusText(resourceMetrics);
      for (const s of resourceMetrics.scopeMetrics) for (const m of s.metrics) points += m.dataPoints.length;
    } catch (err) {
      this.afterExport(false);
      this.settle(covered, false);
      this.health.failed('metrics', points, err as Error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metric collection failed\n');
      return;
    }
    const written = new Promise<boolean>((resolve) => {
      res.once('finish', () => resolve(true));
      res.once('close', () => resolve(res.writableFinished));
    });
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    const delivered = await written;
    this.afterExport(delivered);
    this.settle(covered, delivered);
    if (delivered) {
      this.health.succeeded('metrics');
      this.telemetry.exported('metrics', points, performance.now() - started);
    } else {
      this.telemetry.exportFailed('metrics', points);
      this.log.debug('a scrape ended before its answer was written; its contributions go with the next scrape');
    }
  }

  /** The covered contributions are delivered, or wait for the next scrape. */
  private settle(covered: Ack[], delivered: boolean): void {
    this.inFlight -= covered.length;
    if (delivered) for (const ack of covered) ack.release('metrics');
    else this.recorded = covered.concat(this.recorded);
    for (const wake of [...this.waiters]) wake();
  }
}
