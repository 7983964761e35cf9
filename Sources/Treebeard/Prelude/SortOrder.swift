// The order `sort` and `sort-by` use when no comparator is given, over values of any shape.

/// Numbers by value, strings and chars by text; lists and vectors element by element, then by
/// length; maps and sets by size, then printed form; other values by type name, then printed
/// form. One three-way comparison per pair of elements, so comparing two values costs at most
/// their size (an equality test at each level made it quadratic in their depth). Deep values
/// cannot overflow the host stack: the comparison stops with a `stack-overflow` error when the
/// stack runs low, and a long one stops when the evaluation is interrupted.
struct SortOrder {
  let machine: Machine
  /// Container comparisons made so far, for interrupt checks and the memo below.
  private var steps = 0
  /// Pairs of containers already found to compare equal, kept once a sort takes many steps:
  /// values sharing structure (`[s s]` nested 60 times is 2^60 elements over 60 objects)
  /// compare in time linear in their objects.
  private var equalPairs: Set<IdentityPair> = []

  init(machine: Machine) { self.machine = machine }

  mutating func less(_ a: Value, _ b: Value) throws -> Bool { try compare(a, b) < 0 }

  /// -1, 0 or 1.
  mutating func compare(_ a: Value, _ b: Value) throws -> Int {
    // The pairs most sorts are made of, before any kind is worked out: going through
    // `SortKind` first cost sorting 300,000 Ints 65 % more instructions.
    switch (a, b) {
    case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
    case (.float(let x), .float(let y)) where !x.isNaN && !y.isNaN: return x < y ? -1 : (x == y ? 0 : 1)
    case (.string(let x), .string(let y)): return TextIdentity.compare(x.value, y.value)
    default: break
    }
    let kinds = (SortKind(a), SortKind(b))
    if kinds.0 != kinds.1 { return kinds.0 < kinds.1 ? -1 : 1 }
    if kinds.0.isSequence, let x = a.sequenceElements, let y = b.sequenceElements {
      return try compareSequences(a, b, x, y)
    }
    switch (a, b) {
    case (.int(let i), .float(let d)) where !d.isNaN: return SortOrder.compare(i, d)
    case (.float(let d), .int(let i)) where !d.isNaN: return -SortOrder.compare(i, d)
    default: break
    }
    if let order = try? Arithmetic.compare(a, b, "sort") {
      if order != 2 { return order }
      // NaN (the only unordered number) comes before every other number and ties with itself.
      let (left, right) = (a.isNaN, b.isNaN)
      return left == right ? 0 : left ? -1 : 1
    }
    // Maps and sets by size first: by printed form alone `{}` came after `{:a 1}` ('}' > ':').
    switch (a, b) {
    case (.map(let x), .map(let y)) where x.count != y.count: return x.count < y.count ? -1 : 1
    case (.set(let x), .set(let y)) where x.count != y.count: return x.count < y.count ? -1 : 1
    default: break
    }
    let left = Printer.readable(a)
    let right = Printer.readable(b)
    return left == right ? 0 : left < right ? -1 : 1
  }

  /// An Int against a Float by their exact values. Through `Double` (as `<` compares) large
  /// Ints round: 2^53 + 1 equalled 2^53 as a Float while being greater than 2^53 as an Int,
  /// which made the order intransitive.
  static func compare(_ i: Int, _ d: Double) -> Int {
    if d >= 9_223_372_036_854_775_808.0 { return -1 }  // 2^63: above every Int
    if d < -9_223_372_036_854_775_808.0 { return 1 }
    let floor = d.rounded(.down)
    let whole = Int(floor)  // exact: -2^63 ≤ floor < 2^63
    if i != whole { return i < whole ? -1 : 1 }
    return d > floor ? -1 : 0
  }

  private mutating func compareSequences(_ a: Value, _ b: Value, _ x: [Value], _ y: [Value]) throws -> Int {
    let pair = a.containerIdentity.flatMap { left in b.containerIdentity.map { IdentityPair(left, $0) } }
    if let pair, pair.left == pair.right || equalPairs.contains(pair) { return 0 }
    steps &+= 1
    if steps & 0x3FF == 0 { try machine.checkInterrupt() }
    if StackGuard.isLow() {
      throw OxurError("stack-overflow", "stack overflow: values nested too deeply to sort")
    }
    for (left, right) in zip(x, y) {
      let order = try compare(left, right)
      if order != 0 { return order }
    }
    let order = x.count == y.count ? 0 : x.count < y.count ? -1 : 1
    if order == 0, steps > 4096, let pair { equalPairs.insert(pair) }
    return order
  }
}

/// Which group a value sorts in: the groups are ordered by name, and only values of one group
/// are compared with each other. Ints and Floats form one group (compared by value, in Int's
/// place among the names), vectors and lists another (element by element, in vector's place:
/// sorted data holds vectors far more often than lists, whose place moved).
/// Grouping by each value's own type name put Float before `fn` and Int after it while 2 < 2.5:
/// `[2.5 f 2]` had no order, and neither had vectors, strings and lists (`(2) < "a" < [1] <
/// (2)`). A value of another type that happens to bear one of the group names (an opaque host
/// value's) sorts after the group.
private struct SortKind: Equatable, Comparable {
  let name: String
  /// 0 for the two groups' members, 1 for any other value.
  let rank: Int

  init(_ value: Value) {
    switch value {
    case .int, .float: (name, rank) = ("int", 0)
    case .list, .vector: (name, rank) = ("vector", 0)
    default: (name, rank) = (value.typeName, 1)
    }
  }

  var isSequence: Bool { rank == 0 && name == "vector" }

  static func < (a: SortKind, b: SortKind) -> Bool { a.name == b.name ? a.rank < b.rank : a.name < b.name }
}

extension Value {
  fileprivate var isNaN: Bool {
    if case .float(let x) = self { return x.isNaN }
    return false
  }
}
