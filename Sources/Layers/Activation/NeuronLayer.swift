import Runtime

/// Caffe's NeuronLayer (include/caffe/layers/neuron_layer.hpp): one bottom, one top of the same
/// shape, computed element by element (and so allowed in place). The activation layers derive
/// from it and implement only forward and backward.
class NeuronLayer: Layer {
    override var blobCounts: BlobCounts { .oneToOne }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try reshapeBlob(top[0], bottom[0].shape)
    }
}
