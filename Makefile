# Berth. The README's two commands are `make run` and `make test`.
DOTNET      ?= dotnet
CONFIG      ?= Release
DATA_DIR    ?= .berth
RESULTS     := artifacts/test-results

.PHONY: build run test deps bench-store bench-api bench-nodes bench-scheduler bench-density bench-pods bench-services clean

## build: the single executable bin/berth, compiled to native code (the tests run it too)
build: deps
	$(DOTNET) publish src/Berth/Berth.csproj -c $(CONFIG) --use-current-runtime -o bin -p:DebugType=none -p:PublishDocumentationFile=false -p:PublishReferencesDocumentationFiles=false -nologo -v quiet
	@echo "built bin/berth"

## run: a one-node cluster on SQLite in $(DATA_DIR), running real containers (its pause and busybox images imported at start)
run: build
	mkdir -p $(DATA_DIR)/agent/images && cp artifacts/images/*.tar $(DATA_DIR)/agent/images/
	./bin/berth server --data-dir $(DATA_DIR)

## test: every test project; the last line is "N passed, N failed"
test: build
	rm -rf $(RESULTS)
	$(DOTNET) build Berth.slnx -c $(CONFIG) -nologo -v quiet
	$(DOTNET) test Berth.slnx -c $(CONFIG) --no-build --logger trx --results-directory $(RESULTS) ; \
		status=$$?; scripts/test-summary.sh $(RESULTS); exit $$status

deps:
	scripts/install-deps.sh
	scripts/build-test-images.sh

## bench-store: SQLite against a real etcd; the last line is "bench store: ..."
bench-store: deps
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Store

## bench-api: a berth server process with 10,000 pods; the last line is "bench api: ..."
bench-api: build
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Api -- bin/berth

## bench-nodes: berth server with 1,000 hollow nodes running 30 pods each, then 5,000 idle ones; the last lines are "bench nodes: ..."
bench-nodes: build
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Nodes -- bin/berth 1000:30 5000

## bench-scheduler: 5,000 hollow nodes with 10,000 and 50,000 pods to place, then 1,000 nodes with anti-affinity and spread pods, then the basic runs again with hollow kubelets running every pod; the last line is "bench scheduler: ..."
bench-scheduler: build
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Scheduler -- bin/berth basic:5000:10000 basic:5000:50000 antiaffinity:1000:5000 spread:1000:5000 basic:5000:10000:kubelets basic:5000:50000:kubelets

## bench-density: 1,000 hollow nodes, a Deployment of 30,000 replicas applied with kubectl, then rolled to a new image; the last line is "bench density: ..."
bench-density: build
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Density -- bin/berth 1000:30000

## bench-pods: 50 real pods at once on one node (a joined agent on containerd), beside raw CRI and podman; the last line is "bench pods: ..."
bench-pods: build deps
	scripts/install-deps.sh bench
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Pods -- bin/berth 50

## bench-services: 1,000 Services of 10 endpoints on a real node: endpoint change to live rule, full table write, cluster DNS queries; the last line is "bench services: ..."
bench-services: build deps
	$(DOTNET) run -c $(CONFIG) --project bench/Berth.Bench.Services -- bin/berth 1000

clean:
	rm -rf bin artifacts
	$(DOTNET) clean Berth.slnx -nologo -v quiet
