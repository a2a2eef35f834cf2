import CaffeProto
import Kernels
import Runtime

/// SSD's Permute (src/caffe/layers/permute_layer.cpp): reorders the axes; axes missing from
/// `order` are appended in increasing order; the identity order shares the bottom's memory.
final class PermuteLayer: Layer {
    override class var caffeType: String { "Permute" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var order: [Int] = []
    private var needPermute = false
    private var oldSteps: [Int] = []
    private var newSteps: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let numAxes = bottom[0].numAxes
        order = []
        for value in parameter.permuteParam.order.map({ Int($0) }) {
            guard value < numAxes else { throw error("order \(value) is not an axis of the \(numAxes)-D bottom") }
            guard !order.contains(value) else { throw error("order contains \(value) twice") }
            order.append(value)
        }
        for axis in 0..<numAxes where !order.contains(axis) { order.append(axis) }
        needPermute = order != Array(0..<numAxes)
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard input.numAxes == order.count else {
            throw error("the bottom now has \(input.numAxes) axes, the order was set up for \(order.count)")
        }
        try reshapeBlob(top[0], order.map { input.shape[$0] })
        oldSteps = (0..<order.count).map { input.count(from: $0 + 1) }
        newSteps = (0..<order.count).map { top[0].count(from: $0 + 1) }
        if !needPermute {
            try top[0].shareData(with: input)
            try top[0].shareDiff(with: input)
        }
    }

    /// For each top index, the bottom index it reads.
    private func permute(_ count: Int, forward: Bool, bottom: UnsafeMutablePointer<Float>, top: UnsafeMutablePointer<Float>) {
        let order = self.order, oldSteps = self.oldSteps, newSteps = self.newSteps
        let axes = order.count
        KernelThreads.parallelFor(count, minimumPerChunk: 1 << 14) { range in
            order.withUnsafeBufferPointer { order in
                oldSteps.withUnsafeBufferPointer { oldSteps in
                    newSteps.withUnsafeBufferPointer { newSteps in
                        for i in range {
                            var oldIndex = 0
                            var index = i
                            for j in 0..<axes {
                                oldIndex += (index / newSteps[j]) * oldSteps[order[j]]
                                index %= newSteps[j]
                            }
                            if forward { top[i] = bottom[oldIndex] } else { bottom[oldIndex] = top[i] }
                        }
                    }
                }
            }
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard needPermute else { return }
        permute(top[0].count, forward: true, bottom: bottom[0].data, top: top[0].data)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard needPermute, propagateDown[0] else { return }
        permute(top[0].count, forward: false, bottom: bottom[0].diff, top: top[0].diff)
    }
}
