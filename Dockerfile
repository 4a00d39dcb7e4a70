# OC Pizza Live: one image for the server (pages, API, Socket.io hub), the workers and the
# one-shot migrate/seed job; docker-compose.yml picks the command.
#   docker build -t ocpizza-live .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, SvelteKit pages (build/) and compiled server, workers, db scripts (dist/)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# not `npm ci`: the lockfile lacks some non-Linux optional builds and `npm ci` refuses it;
# `npm install` installs what the lockfile pins and leaves it unchanged
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

# ---- production dependencies only
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
# pg_dump and pg_restore (same major as the postgres:15 service) for the scheduled backups
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# owned by root and read-only for the app user: the running process cannot change its own code
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/dist ./dist
# db/migrations/*.sql are read at run time by dist/db/migrate.js
COPY --from=build /app/db ./db
COPY package.json ./
# the only place the app writes: daily dumps (a volume in docker-compose.yml)
RUN mkdir -p /app/backups /app/media && chown node:node /app/backups /app/media
VOLUME ["/app/backups"]
# the `node` user (uid 1000) comes with the official image
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server/index.js"]
