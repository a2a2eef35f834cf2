# DSOD in Swift. `make setup` is the README's first command; `make test` its second.
SWIFT        ?= swift
RELEASE_BIN  := .build/release
TEST_FLAGS   := -c release -Xswiftc -enable-testing
APT_PACKAGES := liblmdb-dev libopenblas-dev libjpeg62-turbo-dev pkg-config

.PHONY: setup deps build test proto prototxt demo bench fuzz clean

## setup: install system libraries, build in release mode, run the main job on the bundled default
setup: deps build demo

deps:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "Installing $(APT_PACKAGES) ..."; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	fi

build:
	$(SWIFT) build -c release

## test: the whole suite, in release mode (numeric code is 10-50x slower in debug)
test: deps
	@shared="$${DSOD_SHARED:-$$(cd .. && pwd)/shared}"; \
	if [ ! -d "$$shared/golden" ]; then \
	  echo "make test: the golden data is not at $$shared/golden: clone beside ../shared, or set DSOD_SHARED=/path/to/shared" >&2; \
	  exit 1; \
	fi
	$(SWIFT) test $(TEST_FLAGS)

## demo: train DSOD_tiny from scratch on synthetic shapes, score it, draw detections (~7 min)
demo: build
	$(RELEASE_BIN)/dsod demo --out demo-output

## proto: regenerate Sources/CaffeProto/Generated from Sources/CaffeProto/Schema/caffe.proto
proto:
	@command -v protoc >/dev/null || (apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler)
	$(SWIFT) build -c release --scratch-path .build-proto --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=.build-proto/release/protoc-gen-swift \
	  --swift_out=Sources/CaffeProto/Generated --swift_opt=Visibility=Public \
	  -I Sources/CaffeProto/Schema Sources/CaffeProto/Schema/caffe.proto
	protoc --descriptor_set_out=.build-proto/caffe.desc \
	  -I Sources/CaffeProto/Schema Sources/CaffeProto/Schema/caffe.proto
	sh Scripts/embed-descriptor.sh .build-proto/caffe.desc > Sources/CaffeProto/Generated/CaffeDescriptor.swift

## prototxt: regenerate prototxt/<script>/ for DSOD's six scripts
prototxt: build
	sh Scripts/make-prototxt.sh $(RELEASE_BIN)/dsodgen

## fuzz: every reader under libFuzzer (coverage-guided; the seeded mutation engine where libFuzzer
## cannot be built) for FUZZ_SECONDS seconds each; the report goes to fuzz-report.txt
FUZZ_SECONDS ?= 30
fuzz:
	SWIFT=$(SWIFT) sh Scripts/fuzz.sh $(FUZZ_SECONDS)

## bench: DSOD300/GRP_DSOD320 timings against OpenCV's dnn (Debian's python3-opencv) in one run;
## BENCH_FLAGS=--quick for a smoke run, --profile for the per-layer-type breakdown
bench: deps
	@if ! /usr/bin/python3 -c 'import cv2' >/dev/null 2>&1; then \
	  echo "Installing python3-opencv (OpenCV's dnn, the comparison) ..."; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-opencv; \
	fi
	$(SWIFT) build -c release --product dsod-bench
	$(RELEASE_BIN)/dsod-bench $(BENCH_FLAGS)

clean:
	rm -rf .build .build-proto
