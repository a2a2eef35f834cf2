#!/usr/bin/python3
"""Times a Caffe deploy net through OpenCV's dnn module (cv2.dnn.readNetFromCaffe), as people who
deploy Caffe SSD-style detectors on CPUs do. Run by `make bench` (dsod-bench) with Debian's
python3-opencv; prints one JSON line: milliseconds per forward, peak resident memory.

usage: opencv_dnn_bench.py PROTOTXT CAFFEMODEL BATCH SIZE THREADS WARMUP ITERATIONS
"""
import json
import sys
import time

import cv2
import numpy as np


def main():
    prototxt, weights = sys.argv[1], sys.argv[2]
    batch, size, threads, warmup, iterations = (int(v) for v in sys.argv[3:8])
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromCaffe(prototxt, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    rng = np.random.default_rng(3)
    blob = rng.uniform(-120, 135, size=(batch, 3, size, size)).astype(np.float32)
    net.setInput(blob)
    out = None
    for _ in range(warmup):
        out = net.forward()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        out = net.forward()
        times.append((time.perf_counter() - start) * 1000)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (it would be the parent's peak).
    peak = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    print("BENCH-RESULT " + json.dumps({
        "milliseconds": times,
        "peakBytes": peak,
        "threads": cv2.getNumThreads(),
        "version": cv2.__version__,
        "outputShape": list(out.shape) if out is not None else [],
    }))


if __name__ == "__main__":
    main()
