"""HTTP endpoint handlers: each module exposes ``handle(call) -> Reply``."""
