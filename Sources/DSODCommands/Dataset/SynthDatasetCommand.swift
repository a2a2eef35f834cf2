import ArgumentParser
import DataPipeline
import Foundation

/// `dsod synth-dataset`: a small VOC-style dataset of shapes, made on the spot, for the demo and
/// for trying the whole pipeline without downloading anything.
struct SynthDatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-dataset",
        abstract: "Write a small synthetic VOC-style detection dataset (shapes on textures).",
        discussion: """
            Writes JPEGImages/, Annotations/ (VOC XML), ImageSets/Main/{trainval,test}.txt, the list \
            files create-annoset reads (trainval.txt, test.txt), test_name_size.txt and \
            labelmap.prototxt. Five classes (disc, square, triangle, cross, ring), 1-5 objects per \
            image of 240-360 pixels a side; the same seed gives the same dataset.

            Example:
              dsod synth-dataset --out data/synth --train 400 --test 100 --seed 1
            """)

    @Option(help: "The folder to write (created if needed).")
    var out: String

    @Option(help: "Number of training images.")
    var train = 400

    @Option(help: "Number of test images.")
    var test = 100

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    func validate() throws {
        guard train >= 0, test >= 0, train > 0 || test > 0 else {
            throw ValidationError("--train and --test must be 0 or more, and not both 0")
        }
        guard train <= 10_000_000, test <= 10_000_000 else {
            throw ValidationError("--train and --test are at most 10000000 images each")
        }
    }

    func run() throws {
        let bar = ProgressBar(total: train + test, label: "images")
        try SyntheticDataset(trainCount: train, testCount: test, seed: seed).write(to: out) { done, _ in bar.update(done: done) }
        bar.clear()
        print("Wrote \(train) training and \(test) test images with annotations to \(out)")
    }
}
