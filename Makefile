# Shiny on AWS Fargate (cdktf, Go). `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENV_SH := source scripts/env.sh
CDKTF := node_modules/.bin/cdktf

.PHONY: help setup synth test unit validate repro rehearse scan push-image clean docs lint local

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install the cdktf CLI (npm ci) and Go modules; check terraform, the provider mirror, moto, R and Chromium (trivy comes with the first make scan)
	go mod download
	@# Compile the Go programs (the stacks' bindings take minutes) while npm installs the CLI: synth and local then start at once.
	npm ci --no-audit --no-fund & npm=$$!; go build . ./local ./sessionagent ./logout || { wait $$npm; exit 1; }; wait $$npm
	scripts/check-tools.sh

synth: ## synthesize cdktf.out/stacks/{ecr,app} for SHINY_ENV (default dev) with the cdktf CLI
	@$(ENV_SH); need_cdktf; $(CDKTF) synth

# The Go packages of this module (node_modules holds a stray one of an npm package).
PKGS = $(shell go list ./... | grep -v /node_modules/)

unit: ## go vet + all Go tests (the rehearsal included)
	go vet $(PKGS)
	@$(ENV_SH); go test -count=1 -timeout 45m $(PKGS) # -count=1: the rehearsal acts outside Go (moto, terraform); never reuse a cached pass. 45m: it deploys three times

validate: synth ## terraform init (provider mirror) + terraform validate of every synthesized stack
	scripts/validate.sh

docs: ## regenerate the README's settings and outputs tables from the code
	@$(ENV_SH); go run ./internal/docgen

STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT  = github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

lint: ## go.mod tidy, gofmt, staticcheck, actionlint on the sample workflow, README tables current
	@go mod tidy -diff >/dev/null || { go mod tidy -diff; echo "go.mod/go.sum are not tidy: run go mod tidy" >&2; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run gofmt -w on the files above" >&2; exit 1; }
	go run $(STATICCHECK) $(PKGS)
	go run $(ACTIONLINT) docs/github-actions-deploy.yml
	@$(ENV_SH); go run ./internal/docgen -check

repro: ## two synths from two folders must be byte-identical
	scripts/repro.sh

test: ## everything CI runs: tools check, lint, Go tests (with the rehearsal), synth + terraform validate, reproducibility, security scan
	scripts/check-tools.sh
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) validate
	$(MAKE) repro
	$(MAKE) scan

scan: ## security gate: trivy on the stacks, the Dockerfiles and the rehearsal's plans (run the rehearsal first; installs trivy on first use)
	scripts/scan.sh .cache/rehearsal/ecr.plan.json .cache/rehearsal/app.plan.json

rehearse: ## deploy both stacks to a local AWS API (moto) in the real order, check, re-plan, destroy
	@$(ENV_SH); go run ./rehearse

local: ## run the app on this machine as users meet it: Shiny under R, sidecar, sign-in, sign-out (LOCAL_PORT, LOCAL_TASKS, LOCAL_APP_DIR)
	@mkdir -p .cache/bin && go build -o .cache/bin/local ./local && exec .cache/bin/local

push-image: ## build, tag and push every image to the ecr stack's repositories (DRY_RUN=1 prints the commands)
	scripts/push-image.sh

clean: ## remove synthesized output and caches (not state files)
	rm -rf cdktf.out .cache

.PHONY: simulate simulate-docs

SIM_TRACE ?= classroom
simulate: ## replay a trace (SIM_TRACE=classroom|workday|spike|FILE) through the SHINY_ENV scaling policy and alternatives
	go run ./simulate -trace $(SIM_TRACE)

simulate-docs: ## regenerate docs/simulate/*.svg and docs/simulate/results.md from the built-in scenarios
	go run ./simulate -docs docs/simulate

.PHONY: bench-proxy
bench-proxy: ## benchmark the session sidecar vs nginx vs direct in front of real Shiny (root: private network namespace); writes .cache/bench/proxy.md
	scripts/bench-proxy.sh
