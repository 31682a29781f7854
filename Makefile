# The seed's interface, kept thin: every target calls cargo xtask or docker compose.
#
#   make startup   the distributed stack on http://localhost:3000: with a working Docker
#                  engine, deploy/compose.yaml; without one, the same topology as local
#                  processes (cargo xtask stack up)
#   make down      stop it
#   make status    what runs
#   make logs      follow the logs
#   make test      the whole test suite (README's test command)
#   make bench     every benchmark scenario (BENCHMARKS.md); SCENARIOS=embedded picks some

COMPOSE := docker compose -f deploy/compose.yaml

.PHONY: startup down status logs test bench

# `docker info` fails without a reachable engine: then the stack runs as processes.
HAVE_DOCKER := $(shell docker info >/dev/null 2>&1 && echo yes)

startup:
ifeq ($(HAVE_DOCKER),yes)
	$(COMPOSE) up --build
else
	cargo xtask stack up
endif

down:
ifeq ($(HAVE_DOCKER),yes)
	$(COMPOSE) down
else
	cargo xtask stack down
endif

status:
ifeq ($(HAVE_DOCKER),yes)
	$(COMPOSE) ps
else
	cargo xtask stack status
endif

logs:
ifeq ($(HAVE_DOCKER),yes)
	$(COMPOSE) logs -f
else
	cargo xtask stack logs --follow
endif

test:
	cargo xtask test

SCENARIOS ?= all

bench:
	cargo xtask bench $(SCENARIOS)
