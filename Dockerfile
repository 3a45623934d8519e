# One image for every app: APP=platform|aggregator|simulator (default platform).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip make g++ libssl-dev zlib1g-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# the librdkafka binding (scripts/kafka-native) links the system OpenSSL and zlib
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g && rm -rf /var/lib/apt/lists/*
# Inside the container every interface: the published port (docker run -p, compose) must reach the
# app. Without API_READ_KEYS / API_ADMIN_KEYS it logs that the API is open (docs/reliability.md "Access").
ENV NODE_ENV=production APP=platform HTTP_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/libs/clickhouse/migrations ./libs/clickhouse/migrations
COPY --from=build /app/package.json ./package.json
USER node
EXPOSE 3000
# a 64 MiB young generation: feature lookups and ingest allocate short-lived objects in bursts;
# the default (16 MiB) promotes them and pays for it in major GC pauses (docs/features.md)
CMD ["sh", "-c", "exec node --enable-source-maps --max-semi-space-size=64 dist/apps/${APP}/src/main.js"]
