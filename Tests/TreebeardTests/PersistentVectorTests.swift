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
}
