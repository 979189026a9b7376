# syntax=docker/dockerfile:1
# The test merchant's webhook receiver (test-merchant/webhook-receiver.js). It has no npm
# dependencies, so the image is the Node runtime plus its own files. Build context: the repository
# root (see .dockerignore).

# The base image; docker-compose.yml passes the same default. The compose test (tests/compose/)
# builds against a local stand-in (infra/docker/standins/) where no registry answers.
ARG NODE_IMAGE=node:20.18.1-bookworm-slim

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=4000
WORKDIR /app
COPY test-merchant/package.json test-merchant/webhook-receiver.js ./
COPY test-merchant/lib lib
# `node` (uid 1000) comes with the image.
USER node
EXPOSE 4000
CMD ["node", "webhook-receiver.js"]
