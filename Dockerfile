# mist-otel-bridge image: `docker build -t mist-otel-bridge .` (compose.yaml builds it for you).
#
# Build and run stages share one base, so the native better-sqlite3 binary compiled in the build
# stage is built for the same Node (its ABI) and links against the same glibc it runs on.
# node:24.19.0-trixie-slim: Node 24 LTS on Debian 13 (nodejs/docker-node 24/trixie-slim).
ARG NODE_IMAGE=node:24.19.0-trixie-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The npm that wrote package-lock.json: it honours package.json "allowScripts", so only the
# approved install scripts (better-sqlite3's native build) run.
RUN npm install -g npm@11.19.1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile, then drop the dev dependencies; the compiled native module stays in node_modules.
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
# The journal of accepted deliveries lives in the volume below (durability.dir).
# MALLOC_ARENA_MAX=2: glibc's malloc gives each thread that allocates (V8's helpers, libuv's pool,
# the journal's workers) an arena of its own, up to eight per core, and keeps what was freed in
# each; with two, the memory outside V8's heap at the stream bridge's peak fell from 95 MiB to
# 20-56 MiB, at no cost in CPU (BENCHMARKS.md). `npm start` sets the same.
ENV NODE_ENV=production \
    MIST_BRIDGE_DATA_DIR=/var/lib/mist-otel-bridge \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Code and dependencies stay root-owned and read-only to the process; only the data directory
# (the durable journal of accepted deliveries) is writable, by the unprivileged `node` user.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY mappings ./mappings
RUN mkdir -p /var/lib/mist-otel-bridge && chown 1000:1000 /var/lib/mist-otel-bridge
VOLUME ["/var/lib/mist-otel-bridge"]
# uid 1000 is `node` in the official images; numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 4320
# The bridge's own CLI probes GET /healthz (the slim image has no curl). It loads the configuration
# as start does, so a port set by MIST_BRIDGE_PORT, by the file MIST_BRIDGE_CONFIG names, or left at
# the default is the port it asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/src/main.js", "healthcheck"]
# Exec form: node is PID 1 and receives `docker stop`'s SIGTERM itself; the bridge stops accepting,
# flushes what it accepted (server.shutdownTimeoutMs, 9 s by default) and exits.
# --max-semi-space-size=32: semi-spaces of up to 32 MiB, twice Node 20's and 22's default, let a
# delivery's objects (and log records waiting for their export batch) die young instead of being
# promoted; under 50-event deliveries the old generation then stops growing to four times what is
# live. Measured on Node 20 (BENCHMARKS.md): peak RSS 450-470 → 296-301 MiB and 5-10% less CPU per
# delivery. Node 24's V8 lets them grow to 64 MiB by default: the flag holds them at 32 there.
# --initial-old-space-size=32: without it V8's first full GC waited, in a traced stream run, until
# the old generation held 112 MiB (63 MiB of it live), and the pages it took stayed with the
# process: start-up's garbage cost a stream bridge 15-45 MiB of peak RSS. From 32 MiB on, the
# limits follow what is live (BENCHMARKS.md).
# --heap-growing-percent=50: each full GC sets the next at 1.5 times what it left live (plus the
# young generation) instead of up to 4 times, V8's own factor while it allocates fast. That factor
# is what kept a stream bridge's peak above 300 MiB in some runs; webhook deliveries/s are
# unchanged except under 50-event session bursts, which take more CPU (BENCHMARKS.md).
CMD ["node", "--max-semi-space-size=32", "--initial-old-space-size=32", "--heap-growing-percent=50", "dist/src/main.js"]
