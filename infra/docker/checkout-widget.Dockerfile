# syntax=docker/dockerfile:1
# The checkout widget server (checkout-widget/server.js): SDK, demo shop and webhook dashboard on
# PORT, the hosted payment page on FRAME_PORT. Build context: the repository root (see
# .dockerignore, which keeps node_modules and a locally built dist/ out).
#
# Stage 1 installs the devDependencies (esbuild, TypeScript) and runs `npm run build`; stage 2
# holds server.js, its static files and the built dist/, with production dependencies only (none
# today: server.js uses Node built-ins).

# The base image; docker-compose.yml passes the same default. The compose test (tests/compose/)
# builds against a local stand-in (infra/docker/standins/) where no registry answers.
ARG NODE_IMAGE=node:20.18.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
# The repository's layout under /src: the build reads the API's OpenAPI document from ../docs.
WORKDIR /src/checkout-widget
COPY checkout-widget/package.json checkout-widget/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY docs/openapi.json /src/docs/openapi.json
COPY checkout-widget/build.mjs checkout-widget/tsconfig.json checkout-widget/tsconfig.build.json ./
COPY checkout-widget/src src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3001 \
    FRAME_PORT=3002
WORKDIR /app
COPY checkout-widget/package.json checkout-widget/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY checkout-widget/server.js ./
COPY checkout-widget/server server
COPY checkout-widget/public public
COPY --from=build /src/checkout-widget/dist dist
# `node` (uid 1000) comes with the image.
USER node
EXPOSE 3001 3002
CMD ["node", "server.js"]
