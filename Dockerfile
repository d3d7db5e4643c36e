# ingestor-sim: the regional ingestor service (Splunk HEC emulator).
#   docker build -t ingestor-sim .
#   docker run --rm -p 8088:8088 -v ingestor-data:/data \
#     -e SIM_ADMIN_TOKEN="$(openssl rand -hex 24)" -e SIM_HEC_TOKEN="$(cat /proc/sys/kernel/random/uuid)" ingestor-sim
#       (the default command serves docker/config.json: its tokens come from those variables, never the public
#        development ones; it refuses to start without them)
#   docker run --rm -p 8088:8088 -v ingestor-data:/data -v $PWD/config.json:/config.json:ro \
#     ingestor-sim serve --config /config.json --host 0.0.0.0 --port 8088 --data-dir /data
#   The development default (no --config) on 0.0.0.0 is refused unless --allow-public-dev is given.

# ---- build: every dependency, better-sqlite3 compiled from source, src/ compiled to dist/, then the
#      devDependencies (typescript, tsx, vitest ...) pruned ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# compile against the image's own Node headers (no header download), never a prebuilt binary
ENV npm_config_build_from_source=better-sqlite3 npm_config_nodedir=/usr/local
# the dependencies first, a layer kept while only the sources change: install scripts off here because `prepare`
# (the build) needs the sources, then the native modules built on their own
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 fs-ext \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# ---- runtime: no compilers, non-root ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# two malloc arenas instead of one per thread: memory freed by the ingest threads after an overload (gzip bombs)
# goes back to the system instead of staying in per-thread arenas (docs/reliability.md)
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin/ingestor-sim.js ./bin/
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY regions ./regions
COPY docker ./docker
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8088
# The health endpoint answers for the whole server on a non-region host (127.0.0.1): 200 code 17 when every
# region store takes writes, 503 code 18 when a write queue is full.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8088/services/collector/health').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/ingestor-sim.js"]
CMD ["serve", "--config", "/app/docker/config.json", "--host", "0.0.0.0", "--port", "8088", "--data-dir", "/data"]
