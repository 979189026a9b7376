#!/bin/sh
# As the official image: the server runs as `redis`, and without a config file it accepts
# connections from other containers (Debian's build would refuse them in protected mode).
set -e
if [ "$1" = "redis-server" ]; then
  chown -R redis:redis /data
  shift
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
