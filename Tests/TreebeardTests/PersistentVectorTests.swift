// The persistent vector against a plain array model: conj, assoc, bulk build, sharing.

import Testing

@testable import Treebeard

@Suite struct PersistentVectorTests {
  func ints(_ vector: PersistentVector) -> [Int] {
    vector.elements.map { if case .int(let i) = $0 { return i } else { return -1 } }
  }

  @Test(arguments: [0, 1, 31, 32, 33, 64, 1023, 1024, 1025, 1056, 32 * 32 * 32 + 5, 40_000])
  func buildMatchesConj(_ count: Int) {
    let items = (0..<count).map { Value.int($0) }
    let built = PersistentVector.build(items)
    var conjed = PersistentVector.empty
    for item in items { conjed = conjed.conj(item) }
    #expect(built.count == count && conjed.count == count)
    #expect(ints(built) == Array(0..<count))
    #expect(ints(conjed) == Array(0..<count))
    for index in stride(from: 0, to: count, by: max(1, count / 97)) {
      #expect(built.at(index) == .int(index))
    }
    #expect(built.at(count) == nil && built.at(-1) == nil)
    // Growing a bulk-built vector keeps it consistent.
    var grown = built
    for extra in 0..<70 { grown = grown.conj(.int(count + extra)) }
    #expect(ints(grown) == Array(0..<(count + 70)))
  }

  @Test func updatesNeverDisturbEarlierVersions() {
    var model: [[Int]] = [[]]
    var versions: [PersistentVector] = [PersistentVector.empty]
    var generator = SystemRandomNumberGenerator()
    for step in 0..<3000 {
      let pick = Int.random(in: 0..<versions.count, using: &generator)
      var array = model[pick]
      let vector: PersistentVector
      if array.isEmpty || Bool.random(using: &generator) {
        array.append(step)
        vector = versions[pick].conj(.int(step))
      } else {
        let index = Int.random(in: 0..<array.count, using: &generator)
        array[index] = -step
        vector = versions[pick].assoc(index, .int(-step)) ?? PersistentVector.empty
      }
      model.append(array)
      versions.append(vector)
    }
    for (array, vector) in zip(model, versions) {
      #expect(ints(vector) == array)
    }
  }

  /// `dropping` (rest, next, drop, `[x & more]`) shares storage: every element, update and
  /// append seen through the shorter vector matches a copied array, across leaf and tail
  /// boundaries, and nothing done to one vector shows in another.
  @Test(arguments: [1, 31, 32, 33, 64, 65, 1025, 1060])
  func droppedVectorsMatchTheirModel(_ count: Int) {
    let items = (0..<count).map { Value.int($0) }
    let whole = PersistentVector.build(items)
    for drop in [0, 1, 5, 31, 32, 33, 63, 64, 65, count - 33, count - 32, count - 1, count, count + 3]
    where drop >= 0 {
      let view = whole.dropping(drop)
      let model = Array(Array(0..<count).dropFirst(drop))
      #expect(view.count == model.count)
      #expect(ints(view) == model)
      #expect(view.at(0) == model.first.map { .int($0) } && view.at(model.count) == nil && view.at(-1) == nil)
      if let middle = model.indices.dropFirst(model.count / 2).first {
        #expect(view.at(middle) == .int(model[middle]))
        #expect(
          ints(view.assoc(middle, .int(-1)) ?? .empty)
            == model.enumerated().map { $0.offset == middle ? -1 : $0.element })
      }
      // Appends to the shorter vector, and to the whole one after it, disturb neither.
      var grown = view
      for extra in 0..<40 { grown = grown.conj(.int(-extra - 1)) }
      #expect(ints(grown) == model + (0..<40).map { -$0 - 1 })
      let appended = whole.conj(.int(9_999))
      #expect(ints(view) == model)
      #expect(ints(appended) == Array(0..<count) + [9_999])
      // Dropping again adds up.
      #expect(ints(view.dropping(3)) == Array(model.dropFirst(3)))
      #expect(Value.vector(view) == Value.vector(PersistentVector.build(model.map { .int($0) })))
      #expect(Value.vector(view).stableHash == Value.vector(PersistentVector.build(model.map { .int($0) })).stableHash)
    }
  }

  /// Appending in place to a uniquely held shorter vector (`conj` in a loop) leaves the vector
  /// it shares storage with as it was.
  @Test func appendingInPlaceToADroppedVectorLeavesTheOriginal() {
    let whole = PersistentVector.build((0..<40).map { Value.int($0) })
    var collection = Value.vector(whole.dropping(35))
    for extra in 0..<100 { try? Collections.conj(into: &collection, .int(100 + extra)) }
    #expect(ints(whole) == Array(0..<40))
    if case .vector(let grown) = collection {
      #expect(ints(grown) == Array(35..<40) + Array(100..<200))
    } else {
      Issue.record("conj made \(collection)")
    }
  }

  /// A sliding window (`(conj (rest q) x)` in a loop) keeps only about what it holds: the
  /// dropped elements are let go when they outnumber the live ones (they were kept for ever:
  /// 16 M steps of a 10-element window grew to 318 MB).
  @Test func aSlidingWindowDoesNotKeepWhatItDropped() {
    var window = PersistentVector.build((0..<10).map { Value.int($0) })
    var uniquely = Value.vector(window)
    for step in 0..<10_000 {
      window = window.dropping(1).conj(.int(10 + step))
      if case .vector(let vector) = uniquely { uniquely = .vector(vector.dropping(1)) }
      try? Collections.conj(into: &uniquely, .int(10 + step))
    }
    #expect(ints(window) == Array(10_000..<10_010))
    #expect(window.keptCount < 80, "\(window.keptCount) elements kept for 10")
    guard case .vector(let grown) = uniquely else { return }
    #expect(ints(grown) == Array(10_000..<10_010))
    #expect(grown.keptCount < 80, "\(grown.keptCount) elements kept for 10")
  }
}
