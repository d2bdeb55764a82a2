# OpenXP: one image for the API and every worker kind (the command picks the role).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    OPENXP_STATE_DIR=/tmp/openxp \
    HOME=/home/node

WORKDIR /app

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first so source edits don't bust the npm layer.
# Plain `npm ci` (dev deps included): tsx runs TypeScript directly and the Temporal
# worker bundles workflow code at start-up.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
EXPOSE 8080
CMD ["node", "node_modules/tsx/dist/cli.mjs", "api/server.ts"]
