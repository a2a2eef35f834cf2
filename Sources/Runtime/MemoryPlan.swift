/// Storage reuse for a TEST net without backward (`NetOptimizations.reuseMemory`): blobs whose
/// lifetimes (first write to last read) do not overlap take turns in the same memory. Blobs that
/// alias one another (Split, Flatten, Reshape tops share their bottom's values) count as one,
/// living as long as the longest of them. The net's input and output blobs keep memory of their
/// own; every other blob holds garbage once the forward pass has moved past its last reader.
final class MemoryPlan {
    /// Shared memory, grown to the largest blob that uses it.
    private var slots: [BlobStorage?]
    /// For each layer: (blob index, slot) of the blobs to place after the layer's reshape.
    let placements: [[(blob: Int, slot: Int)]]
    /// Blobs taking turns (for reports).
    let plannedBlobs: Int

    init(slotCount: Int, placements: [[(blob: Int, slot: Int)]]) {
        slots = Array(repeating: nil, count: slotCount)
        self.placements = placements
        plannedBlobs = placements.reduce(0) { $0 + $1.count }
    }

    var slotCount: Int { slots.count }

    /// Puts the blobs layer `layer` writes first into their slots (after its reshape, so their
    /// counts are known), unless the layer made a top share its bottom's memory.
    func place(layer: Int, tops: [Blob], bottoms: [Blob], blobs: [Blob]) {
        for (blobIndex, slot) in placements[layer] {
            let blob = blobs[blobIndex]
            if bottoms.contains(where: { $0 !== blob && blob.sharesData(with: $0) }) { continue }
            if slots[slot] == nil || slots[slot]!.capacity < blob.count {
                slots[slot] = BlobStorage(capacity: blob.count)
            }
            blob.useStorage(slots[slot]!)
        }
    }
}

extension Net {
    /// Plans storage reuse (see `MemoryPlan`) from the wiring after folding.
    func planMemory() -> MemoryPlan? {
        guard phase == .test, !layerNeedsBackward.contains(true) else { return nil }
        let active = layers.indices.filter { !layerIsFolded[$0] }
        // Union of blobs that alias: a top sharing a bottom's memory after construction.
        var parent = Array(blobs.indices)
        func root(_ b: Int) -> Int {
            var x = b
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for i in active {
            for t in topBlobIndices[i] {
                for u in bottomBlobIndices[i] where t != u && blobs[t].sharesData(with: blobs[u]) {
                    parent[root(t)] = root(u)
                }
            }
        }
        // Lifetimes per group: first write to last use. A group whose final value nobody reads
        // (an output, an anonymous top) keeps its memory, as do the net's inputs.
        var first = [Int: Int](), lastWrite = [Int: Int](), lastRead = [Int: Int](), kept = Set<Int>()
        for i in active {
            for t in topBlobIndices[i] {
                let g = root(t)
                if first[g] == nil { first[g] = i }
                lastWrite[g] = i
            }
            for b in bottomBlobIndices[i] { lastRead[root(b)] = i }
        }
        for b in inputBlobIndices { kept.insert(root(b)) }
        for b in outputBlobIndices { kept.insert(root(b)) }
        for (g, written) in lastWrite where (lastRead[g] ?? -1) < written { kept.insert(g) }
        var last = [Int: Int]()
        for (g, written) in lastWrite { last[g] = max(written, lastRead[g] ?? written) }
        // The root that is placed must be written by the group's first writer.
        var placedBlob = [Int: Int]()
        for i in active {
            for t in topBlobIndices[i] where first[root(t)] == i && placedBlob[root(t)] == nil {
                placedBlob[root(t)] = t
            }
        }
        // Greedy interval assignment, in order of first write; a slot is free for a group that
        // starts after its last occupant's last use. Prefer the free slot closest in size.
        let groups = first.keys.filter { !kept.contains($0) && placedBlob[$0] != nil }.sorted { first[$0]! < first[$1]! }
        var slotFreeAfter: [Int] = [], slotSize: [Int] = []
        var placements = Array(repeating: [(blob: Int, slot: Int)](), count: layers.count)
        for g in groups {
            let start = first[g]!, end = last[g]!
            let blob = placedBlob[g]!
            let size = blobs[blob].count
            var chosen: Int?
            for s in slotFreeAfter.indices where slotFreeAfter[s] < start {
                guard let current = chosen else { chosen = s; continue }
                let better = (slotSize[s] >= size && (slotSize[current] < size || slotSize[s] < slotSize[current]))
                    || (slotSize[current] < size && slotSize[s] > slotSize[current])
                if better { chosen = s }
            }
            let slot = chosen ?? slotFreeAfter.count
            if chosen == nil {
                slotFreeAfter.append(end)
                slotSize.append(size)
            } else {
                slotFreeAfter[slot] = end
                slotSize[slot] = max(slotSize[slot], size)
            }
            placements[start].append((blob, slot))
        }
        return groups.isEmpty ? nil : MemoryPlan(slotCount: slotFreeAfter.count, placements: placements)
    }
}
