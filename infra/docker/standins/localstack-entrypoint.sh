#!/bin/sh
set -e
exec python -m localstack.runtime.main
