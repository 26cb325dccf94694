# Parley's image: compiled JavaScript on Node 24 (the current LTS), production dependencies only,
# run by `node` itself so SIGTERM reaches Parley (it drains and exits 0). See README "Deploy".
#
#   docker build -t parley .                       # the production image (target "runtime")
#   docker run --rm -p 3000:3000 -p 9464:9464 --env-file .env \
#     -v "$PWD/parley.config.json:/app/parley.config.json:ro" parley
#   docker build --target demo -t parley-demo .    # everything `npm start` runs, demo servers included
#   docker run -it --rm parley-demo                # console chat with the demo servers
#
# The runtime layout (dist/ + package.json + lock, `npm ci --omit=dev`, `node dist/...`) is
# proven without a container engine by test/deploy/runtime-layout.test.ts.

# ── build: all dependencies, TypeScript compiled into dist/ ──
FROM node:24-slim AS build
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY mcp-server ./mcp-server
COPY auth-mock ./auth-mock
RUN npm run build

# ── demo: the build stage as is (dev dependencies and the demo servers), for a trial ──
FROM build AS demo
ENV HOST=0.0.0.0 PORT=3000
RUN mkdir -p /app/.parley && chown -R node:node /app/.parley
USER node
EXPOSE 3000
CMD ["node", "dist/adapters/main/start.js"]

# ── runtime: Parley alone, production dependencies only ──
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_PORT=9464 \
    npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no runtime dependency needs an install script.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/adapters ./dist/adapters
# The process runs unprivileged; .parley holds a generated sign-in secret when PARLEY_SECRET is unset.
RUN mkdir -p /app/.parley && chown -R node:node /app/.parley
USER node
EXPOSE 3000 9464
# Liveness for Docker; Kubernetes probes /healthz (liveness) and /readyz (readiness) directly.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/adapters/main/start.js"]
