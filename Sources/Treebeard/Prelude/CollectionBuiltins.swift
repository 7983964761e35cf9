// Collection builtins: construction, access, update, predicates.

enum CollectionBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("list", atLeast: 0) { _, a in .list(ListNode.from(a.all)) }
    t.define("vector", atLeast: 0) { _, a in Collections.vector(a.all) }
    t.define("vec", 1...1) { _, a in Collections.vector(try Collections.elements(a[0], "vec")) }
    t.define("hash-map", atLeast: 0) { _, a in
      guard a.count % 2 == 0 else { throw OxurError("arity", "hash-map needs an even number of arguments") }
      var storage = ValueHashMap()
      var index = 0
      while index < a.count {
        storage[a[index]] = a[index + 1]
        index += 2
      }
      return .map(PersistentMap(storage))
    }
    t.define("hash-set", atLeast: 0) { _, a in .set(PersistentSet(ValueHashSet(a.all))) }
    t.define("set", 1...1) { m, a in
      var storage = ValueHashSet()
      try Collections.forEach(a[0], "set") {
        try m.checkInterrupt()
        storage.insert($0)
      }
      return .set(PersistentSet(storage))
    }
    t.define("count", 1...1) { _, a in .int(try Collections.count(a[0])) }
    t.define("empty?", 1...1) { _, a in .bool(try Collections.count(a[0]) == 0) }
    t.define("first", 1...1) { _, a in
      switch a[0] {
      case .list(let node): return node?.first ?? .nil
      case .vector(let vector): return vector.at(0) ?? .nil
      default: return try Collections.elements(a[0], "first").first ?? .nil
      }
    }
    t.define("second", 1...1) { _, a in
      if case .vector(let vector) = a[0] { return vector.at(1) ?? .nil }
      let items = try Collections.elements(a[0], "second")
      return items.count > 1 ? items[1] : .nil
    }
    t.define("last", 1...1) { _, a in
      if case .vector(let vector) = a[0] { return vector.at(vector.count - 1) ?? .nil }
      return try Collections.elements(a[0], "last").last ?? .nil
    }
    // A vector's rest shares its storage (O(1)), so walking one with `rest` is linear; a list's
    // becomes a vector once, and the rests of that are O(1) again.
    t.define("rest", 1...1) { _, a in
      if case .vector(let vector) = a[0] { return .vector(vector.dropping(1)) }
      return Collections.vector(Array(try Collections.elements(a[0], "rest").dropFirst()))
    }
    t.define("next", 1...1) { _, a in
      if case .vector(let vector) = a[0] { return vector.count <= 1 ? .nil : .vector(vector.dropping(1)) }
      let items = try Collections.elements(a[0], "next")
      return items.count <= 1 ? .nil : Collections.vector(Array(items.dropFirst()))
    }
    t.define("nth", 2...3) { _, a in
      let index = try Check.int(a[1], "nth")
      switch a[0] {
      case .vector(let vector):
        if let element = vector.at(index) { return element }
        if a.count == 3 { return a[2] }
        throw Failure.index(index, vector.count, "vector")
      default:
        let items = try Collections.elements(a[0], "nth")
        if index >= 0 && index < items.count { return items[index] }
        if a.count == 3 { return a[2] }
        throw Failure.index(index, items.count, a[0].typeName)
      }
    }
    t.define("get", 2...3) { _, a in Collections.lookup(a[0], a[1], default: a.count == 3 ? a[2] : .nil) }
    t.define("get-in", 2...3) { _, a in
      var current = a[0]
      for key in try Collections.elements(a[1], "get-in") {
        current = Collections.lookup(current, key, default: .tailCallSignal)
        if case .tailCallSignal = current { return a.count == 3 ? a[2] : .nil }
      }
      return current
    }
    t.define("contains?", 2...2) { _, a in
      switch a[0] {
      case .map(let map): return .bool(map.get(a[1]) != nil)
      case .set(let set): return .bool(set.contains(a[1]))
      case .vector(let vector):
        if case .int(let index) = a[1] { return .bool(index >= 0 && index < vector.count) }
        return .bool(false)
      case .structInstance(let instance):
        if case .keyword(let key) = a[1] { return .bool(instance.type.fieldIndex[key] != nil) }
        return .bool(false)
      case .nil: return .bool(false)
      default: throw Failure.type("a map, set or vector", a[0], in: "contains?")
      }
    }
    t.define("conj", atLeast: 1) { _, a in
      if a.count == 2 { return try Collections.conj(moving: a.take(0), a.take(1)) }
      var result = a.take(0)
      for index in 1..<max(a.count, 1) { try Collections.conj(into: &result, a[index]) }
      return result
    }
    t.define("cons", 2...2) { _, a in
      if case .list(let node) = a[1] { return .list(ListNode(a[0], node)) }
      return .list(ListNode(a[0], ListNode.from(try Collections.elements(a[1], "cons"))))
    }
    t.define("assoc", atLeast: 3) { _, a in
      guard a.count % 2 == 1 else { throw OxurError("arity", "assoc needs key/value pairs") }
      var result = a.take(0)
      var index = 1
      while index < a.count {
        try Collections.assoc(into: &result, a[index], a[index + 1])
        index += 2
      }
      return result
    }
    t.define("dissoc", atLeast: 1) { _, a in
      guard case .map(var map) = a[0] else {
        if case .nil = a[0] { return .nil }
        throw Failure.type("a map", a[0], in: "dissoc")
      }
      for index in 1..<max(a.count, 1) { map = map.dissoc(a[index]) }
      return .map(map)
    }
    t.define("disj", atLeast: 1) { _, a in
      guard case .set(var set) = a[0] else { throw Failure.type("a set", a[0], in: "disj") }
      for index in 1..<max(a.count, 1) { set = set.disj(a[index]) }
      return .set(set)
    }
    t.define("update", atLeast: 3) { m, a in
      let old = Collections.lookup(a[0], a[1], default: .nil)
      let updated = try m.call(a[2], [old] + a.dropping(3))
      var result = a.take(0)
      try Collections.assoc(into: &result, a[1], updated)
      return result
    }
    t.markUpdatingInPlace("conj", "assoc", "update")
    // assoc-in and update-in walk the path with loops, not recursion: a path can be
    // millions of keys long (`(assoc-in {} (range 3000000) 1)`).
    t.define("assoc-in", 3...3) { _, a in
      let path = try Collections.elements(a[1], "assoc-in")
      return try Collections.assocPath(path, Collections.parents(a[0], path), a[2])
    }
    t.define("update-in", atLeast: 3) { m, a in
      let path = try Collections.elements(a[1], "update-in")
      let parents = Collections.parents(a[0], path)
      let innermost =
        path.isEmpty ? a[0] : Collections.lookup(parents[path.count - 1], path[path.count - 1], default: .nil)
      return try Collections.assocPath(path, parents, try m.call(a[2], [innermost] + a.dropping(3)))
    }
    t.define("keys", 1...1) { _, a in
      guard case .map(let map) = a[0] else {
        if case .nil = a[0] { return Collections.vector([]) }
        throw Failure.type("a map", a[0], in: "keys")
      }
      return Collections.vector(Array(map.storage.keys))
    }
    t.define("vals", 1...1) { _, a in
      guard case .map(let map) = a[0] else {
        if case .nil = a[0] { return Collections.vector([]) }
        throw Failure.type("a map", a[0], in: "vals")
      }
      return Collections.vector(Array(map.storage.values))
    }
    t.define("merge", atLeast: 0) { _, a in
      var result = PersistentMap.empty.storage
      for index in 0..<a.count {
        if case .map(let map) = a[index] {
          for (key, value) in map.storage { result[key] = value }
        } else if case .nil = a[index] {
          continue
        } else {
          throw Failure.type("a map", a[index], in: "merge")
        }
      }
      return .map(PersistentMap(result))
    }
    t.define("nil?", 1...1) { _, a in
      if case .nil = a[0] { return .bool(true) }
      return .bool(false)
    }
    t.define("some?", 1...1) { _, a in
      if case .nil = a[0] { return .bool(false) }
      return .bool(true)
    }
    func predicate(_ name: String, _ test: @escaping (Value) -> Bool) {
      t.define(name, 1...1) { _, a in .bool(test(a[0])) }
    }
    predicate("string?") { if case .string = $0 { return true } else { return false } }
    predicate("keyword?") { if case .keyword = $0 { return true } else { return false } }
    predicate("symbol?") { if case .symbol = $0 { return true } else { return false } }
    predicate("vector?") { if case .vector = $0 { return true } else { return false } }
    predicate("list?") { if case .list = $0 { return true } else { return false } }
    predicate("map?") { if case .map = $0 { return true } else { return false } }
    predicate("set?") { if case .set = $0 { return true } else { return false } }
    predicate("char?") { if case .char = $0 { return true } else { return false } }
    predicate("bool?") { if case .bool = $0 { return true } else { return false } }
    predicate("fn?") { $0.isCallable && $0.typeName == "fn" }
    predicate("atom?") { if case .atom = $0 { return true } else { return false } }
    predicate("struct?") { if case .structInstance = $0 { return true } else { return false } }
    predicate("seq?") { if case .list = $0 { return true } else { return false } }
    predicate("coll?") {
      switch $0 {
      case .list, .vector, .map, .set: return true
      default: return false
      }
    }
  }
}
