// Sequence and function builtins: map/filter/reduce and friends (eager, returning vectors).

import OxurSyntax

enum SequenceBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("map", atLeast: 2) { m, a in
      let function = try Check.function(a[0], "map")
      if a.count == 2 {
        var result = VectorBuilder()
        if case .vector(let vector) = a[1] { result.reserve(vector.count) }
        try Collections.forEach(a[1], "map") { result.append(try m.call1(function, $0, span: .unknown)) }
        return .vector(result.finish())
      }
      let columns = try (1..<a.count).map { try Collections.elements(a[$0], "map") }
      let length = columns.map(\.count).min() ?? 0
      var result = VectorBuilder()
      result.reserve(length)
      for row in 0..<length { result.append(try m.call(function, columns.map { $0[row] })) }
      return .vector(result.finish())
    }
    t.alias("mapv", "map")
    t.define("map-indexed", 2...2) { m, a in
      let function = a[0]
      var result = VectorBuilder()
      var index = 0
      try Collections.forEach(a[1], "map-indexed") {
        result.append(try m.call2(function, .int(index), $0, span: .unknown))
        index += 1
      }
      return .vector(result.finish())
    }
    t.define("filter", 2...2) { m, a in
      let predicate = a[0]
      var result = VectorBuilder()
      try Collections.forEach(a[1], "filter") {
        if try m.call1(predicate, $0, span: .unknown).isTruthy { result.append($0) }
      }
      return .vector(result.finish())
    }
    t.alias("filterv", "filter")
    t.define("remove", 2...2) { m, a in
      let function = a[0]
      var result = VectorBuilder()
      try Collections.forEach(a[1], "remove") {
        if !(try m.call1(function, $0, span: .unknown).isTruthy) { result.append($0) }
      }
      return .vector(result.finish())
    }
    t.define("keep", 2...2) { m, a in
      let function = a[0]
      var result = VectorBuilder()
      try Collections.forEach(a[1], "keep") {
        let kept = try m.call1(function, $0, span: .unknown)
        if case .nil = kept {} else { result.append(kept) }
      }
      return .vector(result.finish())
    }
    t.define("reduce", 2...3) { m, a in
      var accumulator: Value
      var items: Value
      if a.count == 3 {
        accumulator = a[1]
        items = a[2]
      } else {
        let all = try Collections.elements(a[1], "reduce")
        guard let first = all.first else { return try m.call(a[0], []) }
        accumulator = first
        items = Collections.vector(Array(all.dropFirst()))
      }
      if case .builtin(let builtin) = a[0], builtin.accepts(2) {
        // One argument window reused for every step: no dispatch or arity check per element.
        try m.reserve(2)
        let window = m.sp
        m.sp += 2
        defer { m.pop(to: window) }
        let body = builtin.body
        let arguments = Arguments(base: window, count: 2)
        // The accumulator moves into the call, so a vector, map or set only it holds grows in
        // place (`conj`, `assoc`); a copy left here made every step copy and drop the
        // collection, and dropping a large one scanned it all: O(n²).
        try Collections.forEach(items, "reduce") {
          window[0] = exchange(&accumulator, with: .nil)
          window[1] = $0
          accumulator = try body(m, arguments)
        }
        return accumulator
      }
      let function = a[0]
      try Collections.forEach(items, "reduce") {
        m.push(exchange(&accumulator, with: .nil))
        m.push($0)
        accumulator = try m.apply(function, argumentCount: 2, span: .unknown)
      }
      return accumulator
    }
    t.define("%each", 2...2) { m, a in
      let function = a[0]
      try Collections.forEach(a[1], "doseq") { _ = try m.call1(function, $0, span: .unknown) }
      return .nil
    }
    t.define("into", 2...2) { m, a in
      var result = a[0]
      if case .nil = result { result = .list(nil) }
      try Collections.forEach(a[1], "into") {
        // One insertion can compare with many values that hash alike: let Ctrl-C stop it.
        try m.checkInterrupt()
        result = try Collections.conj(result, $0)
      }
      return result
    }
    t.define("concat", atLeast: 0) { m, a in
      var result = VectorBuilder()
      var built = 0
      for index in 0..<a.count {
        try Collections.forEach(a[index], "concat") {
          result.append($0)
          built &+= 1
          // No safe point inside: an interrupt or a memory signal is taken here.
          if built & 0xFFFF == 0 { try m.checkInterrupt() }
        }
      }
      return .vector(result.finish())
    }
    t.define("%concat-list", atLeast: 0) { _, a in
      var items: [Value] = []
      for index in 0..<a.count { items.append(contentsOf: try Collections.elements(a[index], "~@")) }
      return .list(ListNode.from(items))
    }
    t.define("%concat-vector", atLeast: 0) { _, a in
      var result = VectorBuilder()
      for index in 0..<a.count { try Collections.forEach(a[index], "~@") { result.append($0) } }
      return .vector(result.finish())
    }
    t.define("reverse", 1...1) { _, a in Collections.vector(try Collections.elements(a[0], "reverse").reversed()) }
    t.define("sort", 1...2) { m, a in
      if a.count == 1 {
        var order = SortOrder(machine: m)
        return Collections.vector(try Collections.elements(a[0], "sort").sorted { try order.less($0, $1) })
      }
      return Collections.vector(
        try sorted(try Collections.elements(a[1], "sort"), m) { x, y in
          let order = try m.call2(a[0], x, y, span: .unknown)
          if case .int(let i) = order { return i < 0 }
          return order.isTruthy
        })
    }
    // The order `sort` uses, as -1, 0 or 1: `(sort compare xs)` is `(sort xs)`.
    t.define("compare", 2...2) { m, a in
      var order = SortOrder(machine: m)
      return .int(try order.compare(a[0], a[1]))
    }
    t.define("sort-by", 2...2) { m, a in
      let function = a[0]
      let items = try Collections.elements(a[1], "sort-by")
      let keys = try items.map { try m.call1(function, $0, span: .unknown) }
      var order = SortOrder(machine: m)
      let indices = try keys.indices.sorted { i, j in
        let comparison = try order.compare(keys[i], keys[j])
        return comparison < 0 || (comparison == 0 && i < j)
      }
      return Collections.vector(indices.map { items[$0] })
    }
    t.define("range", 0...3) { m, a in
      var start = 0
      var end = 0
      var step = 1
      switch a.count {
      case 1: end = try Check.int(a[0], "range")
      case 2:
        start = try Check.int(a[0], "range")
        end = try Check.int(a[1], "range")
      case 3:
        start = try Check.int(a[0], "range")
        end = try Check.int(a[1], "range")
        step = try Check.int(a[2], "range")
      default: throw OxurError("arity", "range needs an end: (range n), (range a b) or (range a b step)")
      }
      if step == 0 { throw OxurError("type", "range step must not be zero") }
      // Ranges are eager vectors: refuse sizes that can only exhaust memory, as `repeat` does.
      // Counted in unsigned arithmetic: `end - start` overflows an Int for far-apart bounds,
      // which refused (range Int.min Int.max Int.max), three elements.
      let ascending = step > 0
      let nonEmpty = ascending ? start < end : start > end
      let distance = nonEmpty ? UInt64(bitPattern: Int64(ascending ? end &- start : start &- end)) : 0
      let stride = UInt64(step.magnitude)
      let count = distance / stride + (distance % stride == 0 ? 0 : 1)
      if count > 100_000_000 {
        throw OxurError("type", "range of more than 100,000,000 elements (ranges are built eagerly)")
      }
      let length = Int(count)
      try MemoryGuard.reserve(values: length, for: "(range …)")
      var result = VectorBuilder()
      result.reserve(length)
      var built = 0
      var value = start
      while step > 0 ? value < end : value > end {
        if built & 0xFFFF == 0 { try m.checkInterrupt() }
        result.append(.int(value))
        built += 1
        let (next, overflow) = value.addingReportingOverflow(step)
        if overflow { break }
        value = next
      }
      return .vector(result.finish())
    }
    t.define("take", 2...2) { m, a in
      let n = try Check.int(a[0], "take")
      return Collections.vector(try Collections.prefix(a[1], max(0, n), "take", interruptible: m))
    }
    t.define("drop", 2...2) { _, a in
      let n = try Check.int(a[0], "drop")
      if case .vector(let vector) = a[1] { return .vector(vector.dropping(n)) }
      return Collections.vector(Array(try Collections.elements(a[1], "drop").dropFirst(max(0, n))))
    }
    t.define("take-while", 2...2) { m, a in
      let function = a[0]
      var result: [Value] = []
      for item in try Collections.elements(a[1], "take-while") {
        guard try m.call1(function, item, span: .unknown).isTruthy else { break }
        result.append(item)
      }
      return Collections.vector(result)
    }
    t.define("drop-while", 2...2) { m, a in
      let function = a[0]
      let items = try Collections.elements(a[1], "drop-while")
      var index = 0
      while index < items.count, try m.call1(function, items[index], span: .unknown).isTruthy { index += 1 }
      return Collections.vector(Array(items[index...]))
    }
    t.define("repeat", 2...2) { m, a in
      let n = try Check.int(a[0], "repeat")
      guard n <= 100_000_000 else { throw OxurError("type", "repeat count \(n) is too large") }
      try MemoryGuard.reserve(values: max(0, n), for: "(repeat \(n) …)")
      // Built in place with safe points, as `range` is: 100,000,000 copies took six seconds
      // that Ctrl-C could not stop.
      var result = VectorBuilder()
      result.reserve(max(0, n))
      for built in 0..<max(0, n) {
        if built & 0xFFFF == 0 { try m.checkInterrupt() }
        result.append(a[1])
      }
      return .vector(result.finish())
    }
    t.define("every?", 2...2) { m, a in
      let function = a[0]
      for item in try Collections.elements(a[1], "every?") where !(try m.call1(function, item, span: .unknown).isTruthy)
      {
        return .bool(false)
      }
      return .bool(true)
    }
    t.define("some", 2...2) { m, a in
      let function = a[0]
      for item in try Collections.elements(a[1], "some") {
        let result = try m.call1(function, item, span: .unknown)
        if result.isTruthy { return result }
      }
      return .nil
    }
    t.define("distinct", 1...1) { m, a in
      var seen = Set<Value>()
      var result: [Value] = []
      for item in try Collections.elements(a[0], "distinct") {
        try m.checkInterrupt()
        if seen.insert(item).inserted { result.append(item) }
      }
      return Collections.vector(result)
    }
    t.define("frequencies", 1...1) { m, a in
      var map = PersistentMap.empty.storage
      for item in try Collections.elements(a[0], "frequencies") {
        try m.checkInterrupt()
        // A count never exceeds the number of elements, so `+ 1` cannot overflow.
        if case .int(let n) = map[item] ?? .int(0) { map[item] = .int(n &+ 1) }
      }
      return .map(PersistentMap(map))
    }
    t.define("group-by", 2...2) { m, a in
      let function = a[0]
      var map = PersistentMap.empty.storage
      for item in try Collections.elements(a[1], "group-by") {
        let key = try m.call1(function, item, span: .unknown)
        if case .vector(let group) = map[key] ?? .vector(.empty) { map[key] = .vector(group.conj(item)) }
      }
      return .map(PersistentMap(map))
    }
    t.define("zipmap", 2...2) { m, a in
      var map = PersistentMap.empty.storage
      let pairs = zip(try Collections.elements(a[0], "zipmap"), try Collections.elements(a[1], "zipmap"))
      for (key, value) in pairs {
        try m.checkInterrupt()
        map[key] = value
      }
      return .map(PersistentMap(map))
    }
    t.define("flatten", 1...1) { m, a in
      var result: [Value] = []
      var visited = 0
      func walk(_ value: Value, _ depth: Int) throws {
        guard depth < 1000 else { throw OxurError("type", "flatten: nesting too deep") }
        // Shared substructure can make the walk exponentially long: let Ctrl-C stop it.
        visited &+= 1
        if visited & 0xFFF == 0 { try m.checkInterrupt() }
        switch value {
        case .list, .vector: for item in try Collections.elements(value, "flatten") { try walk(item, depth + 1) }
        default: result.append(value)
        }
      }
      try walk(a[0], 0)
      return Collections.vector(result)
    }
    t.define("partition", 2...2) { m, a in
      let n = try Check.int(a[0], "partition")
      guard n > 0 else { throw OxurError("type", "partition size must be positive") }
      let items = try Collections.elements(a[1], "partition")
      var result: [Value] = []
      var index = 0
      while index + n <= items.count {
        result.append(Collections.vector(Array(items[index..<(index + n)])))
        index += n
        // A vector per part and no safe point: an interrupt or a memory signal is taken here.
        if result.count & 0xFFF == 0 { try m.checkInterrupt() }
      }
      return Collections.vector(result)
    }
    t.define("interleave", 2...2) { m, a in
      var result: [Value] = []
      for (x, y) in zip(try Collections.elements(a[0], "interleave"), try Collections.elements(a[1], "interleave")) {
        if result.count & 0xFFFF == 0 { try m.checkInterrupt() }
        result.append(x)
        result.append(y)
      }
      return Collections.vector(result)
    }
    t.define("apply", atLeast: 2) { m, a in
      // Counted before any array is made: more than the value stack holds cannot be called,
      // and copying 20,000,000 arguments first took 640 MB to learn that.
      let (total, overflow) = try Collections.count(a[a.count - 1], "apply").addingReportingOverflow(a.count - 2)
      guard !overflow, total <= m.capacity - Machine.margin else {
        throw OxurError(
          "stack-overflow",
          "apply: \(total) arguments are more than a call can take (at most about \(m.capacity - Machine.margin))")
      }
      var arguments = Array(a.dropping(1).dropLast())
      arguments.append(contentsOf: try Collections.elements(a[a.count - 1], "apply"))
      return try m.call(a[0], arguments)
    }
    t.define("partial", atLeast: 1) { _, a in
      let captured = CapturedValues(a.all)
      return .builtin(
        Builtin("partial", atLeast: 0) { m, rest in
          let values = captured.values
          return try m.call(values.first ?? .nil, Array(values.dropFirst()) + rest.all)
        })
    }
    t.define("comp", atLeast: 0) { _, a in
      let captured = CapturedValues(a.all)
      return .builtin(
        Builtin("comp", atLeast: 0) { m, rest in
          let functions = captured.values
          guard let last = functions.last else { return rest.count > 0 ? rest[0] : .nil }
          var result = try m.call(last, rest.all)
          for function in functions.dropLast().reversed() { result = try m.call1(function, result, span: .unknown) }
          return result
        })
    }
    t.define("identity", 1...1) { _, a in a[0] }
    t.define("constantly", 1...1) { _, a in
      let captured = CapturedValues([a[0]])
      return .builtin(Builtin("constantly", atLeast: 0) { _, _ in captured.values.first ?? .nil })
    }
  }

  /// Insertion-stable merge sort with a throwing comparator (Swift's sort cannot throw).
  static func sorted(_ items: [Value], _ m: Machine, by less: (Value, Value) throws -> Bool) throws -> [Value] {
    if items.count <= 1 { return items }
    let middle = items.count / 2
    let left = try sorted(Array(items[..<middle]), m, by: less)
    let right = try sorted(Array(items[middle...]), m, by: less)
    var result: [Value] = []
    result.reserveCapacity(items.count)
    var i = 0
    var j = 0
    while i < left.count && j < right.count {
      if try less(right[j], left[i]) {
        result.append(right[j])
        j += 1
      } else {
        result.append(left[i])
        i += 1
      }
    }
    result.append(contentsOf: left[i...])
    result.append(contentsOf: right[j...])
    return result
  }
}
