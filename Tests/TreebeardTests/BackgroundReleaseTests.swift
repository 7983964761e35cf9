// Large plain-data maps freed on the background thread: what is handed off, and that shared structure survives it.

import Testing

@testable import Treebeard

@Suite struct BackgroundReleaseTests {
  func stringMap(_ count: Int, prefix: String = "k") -> ValueHashMap {
    var map = ValueHashMap()
    for index in 0..<count { map[.string("\(prefix)\(index)")] = .int(index) }
    return map
  }

  @Test func aLargePlainMapIsHandedOffAndFreed() {
    var storage = stringMap(BackgroundRelease.threshold + 10)
    let before = BackgroundRelease.completedCount
    // A hand-off can be refused only when two others are in flight (from tests running alongside).
    var handedOff = BackgroundRelease.take(&storage)
    while !handedOff {
      BackgroundRelease.waitForPendingReleases()
      handedOff = BackgroundRelease.take(&storage)
    }
    #expect(storage.isEmpty)
    BackgroundRelease.waitForPendingReleases()
    #expect(BackgroundRelease.completedCount > before)
  }

  @Test func smallMapsAndMapsHoldingCodeOrContainersStayOnTheDroppingThread() throws {
    var small = stringMap(BackgroundRelease.threshold - 1)
    #expect(!BackgroundRelease.take(&small))
    #expect(small.count == BackgroundRelease.threshold - 1)

    let (interpreter, _, _) = bufferedInterpreter()
    let function = try interpreter.eval("(fn [x] x)")
    var withClosure = stringMap(BackgroundRelease.threshold + 1)
    withClosure[.keyword("f")] = function
    #expect(!withClosure.holdsOnlyPlainData)
    #expect(!BackgroundRelease.take(&withClosure))
    #expect(withClosure.count == BackgroundRelease.threshold + 2)

    var withVectorKey = stringMap(BackgroundRelease.threshold + 1)
    withVectorKey[.vector(PersistentVector.from([.int(1)]))] = .int(1)
    #expect(!BackgroundRelease.take(&withVectorKey))

    let atom = try interpreter.eval("(atom 1)")
    var withAtomValue = stringMap(BackgroundRelease.threshold + 1)
    withAtomValue[.int(-1)] = atom
    #expect(!BackgroundRelease.take(&withAtomValue))

    var plain = stringMap(BackgroundRelease.threshold + 1)
    plain[.keyword("k")] = .float(1.5)
    plain[.symbol("s")] = .char("x")
    plain[.bool(true)] = .nil
    #expect(plain.holdsOnlyPlainData)
  }

  @Test func aLargePlainSetIsHandedOffToo() {
    var set = ValueHashSet((0..<(BackgroundRelease.threshold + 1)).map { Value.string("e\($0)") })
    var handedOff = BackgroundRelease.take(&set)
    while !handedOff {
      BackgroundRelease.waitForPendingReleases()
      handedOff = BackgroundRelease.take(&set)
    }
    #expect(set.isEmpty)
    var withVector = ValueHashSet((0..<(BackgroundRelease.threshold + 1)).map { Value.int($0) })
    withVector.insert(.vector(PersistentVector.from([.int(1)])))
    #expect(!BackgroundRelease.take(&withVector))
    #expect(withVector.count == BackgroundRelease.threshold + 2)
  }

  @Test func aMapsPlainDataFlagOnlyErrsTowardsFalse() {
    let plain = stringMap(100)
    #expect(plain.holdsOnlyPlainData)
    var withVector = plain
    withVector[.int(1)] = .vector(PersistentVector.from([.int(1)]))
    #expect(!withVector.holdsOnlyPlainData)
    #expect(plain.holdsOnlyPlainData)
    // Removing or replacing the one non-plain entry does not look at the rest: still false.
    var replaced = withVector
    replaced[.int(1)] = .int(1)
    #expect(!replaced.holdsOnlyPlainData)
    withVector[.int(1)] = nil
    #expect(!withVector.holdsOnlyPlainData)
    var nonPlainKey = plain
    nonPlainKey[.list(nil)] = .int(0)
    #expect(!nonPlainKey.holdsOnlyPlainData)
  }

  @Test func vectorsOfPlainDataKnowIt() {
    let plain = PersistentVector.build((0..<5000).map { Value.string("s\($0)") })
    #expect(plain.holdsOnlyPlainData)
    var items = (0..<5000).map { Value.int($0) }
    items[4321] = .vector(PersistentVector.from([.int(1)]))
    #expect(!PersistentVector.build(items).holdsOnlyPlainData)
    var inTail = (0..<5000).map { Value.int($0) }
    inTail[4999] = .list(nil)
    #expect(!PersistentVector.build(inTail).holdsOnlyPlainData)
  }

  /// A dropped vector is handed off only for what dropping it frees: a vector sharing its trie
  /// with a live one frees almost nothing, and scanning all its elements at each such drop made
  /// `(reduce conj [] (range 100000))` take a minute (found by the fuzzer).
  @Test func onlyWhatADropFreesCountsForAHandOff() throws {
    let size = BackgroundRelease.threshold * 2  // a multiple of 32: the tail is full
    let original = PersistentVector.build((0..<size).map { Value.int($0) })
    #expect(original.freesEnoughPlainDataToHandOff)
    // The tail is full, so `conj` copies a path: a new root over the original's leaves.
    let grown = original.conj(.int(-1))
    #expect(!grown.freesEnoughPlainDataToHandOff, "its leaves are the original's")
    #expect(!original.freesEnoughPlainDataToHandOff, "its leaves are shared with `grown`")
    // `conj` onto a tail with room shares the root itself.
    let longer = grown.conj(.int(-2))
    #expect(!longer.freesEnoughPlainDataToHandOff)
    #expect(longer.count == size + 2 && longer.at(size) == .int(-1) && longer.at(size + 1) == .int(-2))
    #expect(original.at(size - 1) == .int(size - 1))

    var items = (0..<size).map { Value.int($0) }
    items[17] = try bufferedInterpreter().0.eval("(fn [] 1)")
    #expect(!PersistentVector.build(items).freesEnoughPlainDataToHandOff, "a closure is freed where it is dropped")

    let (interpreter, _, _) = bufferedInterpreter()
    #expect(try interpreter.eval("(count (reduce conj [] (range 100000)))") == .int(100_000))
    #expect(try interpreter.eval("(reduce + 0 (reduce conj [] (range 10)))") == .int(45))
    #expect(try interpreter.eval("(count (reduce (fn [m i] (assoc m i i)) {} (range 5000)))") == .int(5000))
  }

  /// Vectors sharing leaves and a tail with vectors dropped (and handed off) keep every element.
  @Test func vectorsSharingStructureWithReleasedOnesStayIntact() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let result = try interpreter.eval(
      """
      (loop [round 0 v (vec (map str (range 9000))) kept []]
        (if (< round 8)
          (let [longer (conj v (str "r" round))]
            (recur (+ round 1) (conj longer "x") (conj kept (nth longer 4500))))
          [(count v) (nth v 8999) (nth v 9000) (nth v 9015) kept]))
      """)
    #expect(
      Printer.readable(result)
        == "[9016 \"8999\" \"r0\" \"x\" [\"4500\" \"4500\" \"4500\" \"4500\" \"4500\" \"4500\" \"4500\" \"4500\"]]")
    BackgroundRelease.waitForPendingReleases()
  }

  /// A map that shares most of its trie with one freed in the background stays whole, and can
  /// still be changed in place, while and after the other is freed.
  @Test func mapsSharingNodesWithAReleasedMapStayIntact() {
    var survivors: [ValueHashMap] = []
    var current = stringMap(BackgroundRelease.threshold * 2)
    for round in 0..<20 {
      var next = current
      for index in 0..<50 { next[.string("r\(round)-\(index)")] = .int(index) }
      next[.string("k\(round)")] = nil
      var dropped = current
      current = next
      _ = BackgroundRelease.take(&dropped)
      for index in 0..<40 { current[.string("w\(round)-\(index)")] = .int(round) }
      if round % 5 == 0 { survivors.append(current) }
    }
    BackgroundRelease.waitForPendingReleases()
    #expect(current.count == BackgroundRelease.threshold * 2 - 20 + 20 * 90)
    for round in 0..<20 {
      #expect(current[.string("k\(round)")] == nil)
      #expect(current[.string("r\(round)-49")] == .int(49))
      #expect(current[.string("w\(round)-39")] == .int(round))
    }
    #expect(current[.string("k\(BackgroundRelease.threshold * 2 - 1)")] == .int(BackgroundRelease.threshold * 2 - 1))
    for (index, survivor) in survivors.enumerated() {
      let round = index * 5
      #expect(survivor[.string("w\(round)-0")] == .int(round))
      #expect(survivor[.string("k\(round + 1)")] == .int(round + 1))
    }
  }

  @Test func oxurProgramsDroppingLargeMapsSeeNoDifference() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let result = try interpreter.eval(
      """
      (loop [round 0 total 0]
        (if (< round 6)
          (let [m (reduce (fn [acc i] (assoc acc (str "k" i) i)) {} (range 6000))
                kept (assoc m :round round)]
            (recur (+ round 1) (+ total (count kept) (get kept "k5999"))))
          total))
      """)
    #expect(result == .int(6 * (6001 + 5999)))
  }
}
