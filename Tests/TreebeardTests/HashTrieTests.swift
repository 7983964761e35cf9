// The hash trie behind maps and sets against Swift's Dictionary: random changes, persistence, collisions, canonical shape.

import Testing

@testable import Treebeard

@Suite struct HashTrieTests {
  /// Keys whose stable hashes are all equal: a vector of 200 one-element vectors hashes its
  /// elements with no budget left to look inside them, whatever `tag` is.
  func collidingKey(_ tag: Int) -> Value {
    var items = [Value](
      repeating: .vector(PersistentVector.from([.vector(PersistentVector.from([.int(0)]))])), count: 199)
    items.append(.vector(PersistentVector.from([.vector(PersistentVector.from([.int(tag)]))])))
    return .vector(PersistentVector.from(items))
  }

  /// Distinct keys of several kinds, one in sixteen of them colliding, so regular nodes, deep
  /// paths and collision nodes all occur.
  func key(_ number: Int) -> Value {
    switch number % 4 {
    case 0: return .int(number)
    case 1: return .string("key-\(number)")
    case 2: return .int(-number * 1_000_003)
    default: return number % 16 == 3 ? collidingKey(number) : .keyword("k\(number)")
    }
  }

  func isColliding(_ key: Value) -> Bool {
    if case .vector = key { return true }
    return false
  }

  func expectSame(_ map: ValueHashMap, _ model: [Value: Value], _ context: String) {
    #expect(map.count == model.count, "count \(context)")
    for (key, value) in model { #expect(map[key] == value, "lookup \(context)") }
    var seen = 0
    for (key, value) in map {
      seen += 1
      #expect(model[key] == value, "iteration \(context)")
    }
    #expect(seen == model.count, "iterated \(context)")
  }

  @Test func randomChangesAgreeWithADictionaryAndOldVersionsStayIntact() {
    var generator = SeededGenerator(seed: 12)
    var map = ValueHashMap()
    var model: [Value: Value] = [:]
    var snapshots: [(ValueHashMap, [Value: Value])] = []
    for step in 0..<6000 {
      let candidate = key(Int.random(in: 0..<800, using: &generator))
      if Int.random(in: 0..<3, using: &generator) == 0 {
        map[candidate] = nil
        model[candidate] = nil
      } else {
        map[candidate] = .int(step)
        model[candidate] = .int(step)
      }
      #expect(map.count == model.count)
      if step % 250 == 0 { snapshots.append((map, model)) }
    }
    expectSame(map, model, "final")
    for (index, (old, oldModel)) in snapshots.enumerated() { expectSame(old, oldModel, "snapshot \(index)") }
  }

  @Test func shapeAndOrderDependOnlyOnTheKeys() {
    let keys = (0..<400).map(key)
    var forward = ValueHashMap()
    for key in keys { forward[key] = .int(1) }
    var backward = ValueHashMap()
    for key in keys.reversed() { backward[key] = .int(1) }
    // Extra keys added and removed again must leave the same canonical trie behind.
    var detour = ValueHashMap()
    for number in 0..<900 { detour[self.key(number)] = .int(1) }
    for number in 400..<900 { detour[self.key(number)] = nil }
    #expect(forward == backward)
    #expect(forward == detour)
    // Keys with equal hashes keep their insertion order among themselves; all others iterate in
    // an order fixed by their hashes.
    let order = forward.map { $0.key }.filter { !isColliding($0) }
    let backwardOrder = backward.map { $0.key }.filter { !isColliding($0) }
    let detourOrder = detour.map { $0.key }.filter { !isColliding($0) }
    #expect(order.count == 375)
    let sameOrders = backwardOrder == order && detourOrder == order
    #expect(sameOrders)
  }

  @Test func equalityComparesValuesAndCounts() {
    var left = ValueHashMap()
    for number in 0..<300 { left[key(number)] = .int(number) }
    var right = left
    #expect(left == right)
    right[key(7)] = .int(-1)
    #expect(left != right)
    right[key(7)] = .int(7)
    #expect(left == right)
    right[collidingKey(19)] = nil
    #expect(right.count == left.count - 1)
    #expect(left != right)
    var colliding = left
    colliding[collidingKey(35)] = .string("other")
    #expect(colliding != left)
  }

  @Test func collisionNodesShrinkBackToPlainItems() {
    var map = ValueHashMap()
    for tag in 0..<10 { map[collidingKey(tag)] = .int(tag) }
    map[.int(1)] = .int(1)
    #expect(map.count == 11)
    for tag in 0..<10 { #expect(map[collidingKey(tag)] == .int(tag)) }
    #expect(map[collidingKey(99)] == nil)
    for tag in 1..<10 { map[collidingKey(tag)] = nil }
    var expected = ValueHashMap()
    expected[.int(1)] = .int(1)
    expected[collidingKey(0)] = .int(0)
    #expect(map == expected)
    let sameOrder = map.map { $0.key } == expected.map { $0.key }
    #expect(sameOrder)
    map[collidingKey(0)] = nil
    map[.int(1)] = nil
    #expect(map.isEmpty)
    #expect(map == ValueHashMap())
  }

  @Test func aSharedMapIsNeverChangedThroughACopy() {
    var original = ValueHashMap()
    for number in 0..<500 { original[key(number)] = .int(number) }
    let before = original.map { "\($0.key) \($0.value)" }
    var copy = original
    for number in 0..<500 where number % 3 == 0 { copy[key(number)] = nil }
    for number in 500..<700 { copy[key(number)] = .int(number) }
    copy[key(1)] = .string("changed")
    let unchanged = original.map { "\($0.key) \($0.value)" } == before
    #expect(unchanged)
    #expect(original.count == 500)
    #expect(copy.count == 500 - 167 + 200)
  }

  @Test func childSlotLayoutIsWhatLookupsRead() {
    typealias Payload = (TrieNode, UInt32, UInt32)
    #expect(MemoryLayout<Payload>.offset(of: \.1) == TrieNode.childItemMapOffset)
    #expect(MemoryLayout<Payload>.offset(of: \.2) == TrieNode.childChildMapOffset)
    #expect(MemoryLayout<TrieSlot>.size >= MemoryLayout<Payload>.size)
  }

  @Test func setsAgreeWithASwiftSet() {
    var generator = SeededGenerator(seed: 99)
    var set = ValueHashSet()
    var model = Set<Value>()
    for _ in 0..<3000 {
      let candidate = key(Int.random(in: 0..<300, using: &generator))
      if Bool.random(using: &generator) {
        set.insert(candidate)
        model.insert(candidate)
      } else {
        set.remove(candidate)
        model.remove(candidate)
      }
    }
    #expect(set.count == model.count)
    for element in model { #expect(set.contains(element)) }
    #expect(Set(Array(set)) == model)
    #expect(set == ValueHashSet(Array(model)))
  }
}

/// A small deterministic generator (SplitMix64), so a failure repeats.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
