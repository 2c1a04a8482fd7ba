# syntax=docker/dockerfile:1
# Inkstone: build with dev dependencies, run with production ones only.

FROM node:24-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# better-sqlite3 11 aborted (SIGABRT in Statement::~Statement) when compiled against Node >= 24.19's
# headers (nodejs/node#65446). Still built against 24.18.1's headers with better-sqlite3 12: no run
# here has shown 12 fixes it (11 did not abort in 20 cold starts on 24.22.3 either, so a clean run
# of 12 proves nothing). Compiled this way it runs cleanly on later 24.x (node24.e2e-spec.ts).
RUN npm_config_build_from_source=true npm_config_target=24.18.1 npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# The Litestream binary comes from the same npm package the tests use: one version everywhere.
# Only the compiled addon of better-sqlite3 is needed at run time, not its SQLite sources.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && cp node_modules/@flydotio/litestream-linux-x64/litestream /tmp/litestream \
  && rm -rf node_modules/@flydotio \
  && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
  && find node_modules/better-sqlite3/build -type f ! -name better_sqlite3.node -delete \
  && du -sh node_modules

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080 \
    APP_DIR=/app \
    DATABASE_PATH=/data/inkstone.db \
    LITESTREAM_CONFIG=/etc/litestream.yml \
    LITESTREAM_BIN=/usr/local/bin/litestream
WORKDIR /app
COPY --from=build /tmp/litestream /usr/local/bin/litestream
COPY litestream.yml /etc/litestream.yml
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY apps/blog/views ./apps/blog/views
COPY apps/blog/public ./apps/blog/public
COPY scripts/start.sh ./scripts/start.sh
# The database lives in a writable directory owned by the unprivileged user.
RUN chmod 0755 scripts/start.sh && mkdir -p /data && chown node:node /data
# V8's compiled code for the bundle, made at build time: a cold start reads it instead of
# compiling ~2.6 MB of JavaScript (see BENCHMARKS.md).
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN node dist/apps/blog/src/cli/warm-compile-cache.js
USER node
EXPOSE 8080
CMD ["/app/scripts/start.sh"]
