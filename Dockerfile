# Parley: runs from sources with tsx (no build step), as `npm start` does.
#   docker build -t parley .
#   docker run -it --rm parley                       # console chat with the demo servers
#   docker run --rm -p 3000:3000 --env-file .env parley   # Slack / Discord, Redis via REDIS_URL
FROM node:20-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
WORKDIR /app

# Dependencies first, so source changes don't re-install them. Dev dependencies stay: tsx runs
# the TypeScript sources directly.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY adapters ./adapters
COPY mcp-server ./mcp-server
COPY auth-mock ./auth-mock

# The process runs unprivileged; .parley holds the generated secret of the embedded default.
RUN mkdir -p /app/.parley && chown -R node:node /app/.parley
USER node

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "start"]
