// Arithmetic, comparison and numeric predicates.

enum NumberBuiltins {
  static func register(_ t: inout PreludeTable) {
    // Two Ints (reduce's step, a function value called with two numbers) skip the loop; the
    // checks are the same. Any other pair folds from 0 as before (`(+ -0.0 -0.0)` is 0.0).
    t.define("+", atLeast: 0) { _, a in
      if a.count == 2, case .int(let x) = a[0], case .int(let y) = a[1] {
        let (sum, overflow) = x.addingReportingOverflow(y)
        if overflow { throw Failure.overflow("+") }
        return .int(sum)
      }
      var result = Value.int(0)
      for index in 0..<a.count { result = try Arithmetic.add(result, a[index]) }
      if a.count == 1 { _ = try Arithmetic.double(a[0], "+") }
      return result
    }
    t.define("*", atLeast: 0) { _, a in
      if a.count == 2, case .int(let x) = a[0], case .int(let y) = a[1] {
        let (product, overflow) = x.multipliedReportingOverflow(by: y)
        if overflow { throw Failure.overflow("*") }
        return .int(product)
      }
      var result = Value.int(1)
      for index in 0..<a.count { result = try Arithmetic.multiply(result, a[index]) }
      if a.count == 1 { _ = try Arithmetic.double(a[0], "*") }
      return result
    }
    t.define("-", atLeast: 1) { _, a in
      if a.count == 1 {
        // 0 − 0.0 is +0.0: a float is negated, so (- 0.0) is -0.0 and (/ 1.0 (- 0.0)) is -Inf.
        if case .float(let x) = a[0] { return .float(-x) }
        return try Arithmetic.subtract(.int(0), a[0])
      }
      var result = a[0]
      for index in 1..<a.count { result = try Arithmetic.subtract(result, a[index]) }
      return result
    }
    t.define("/", atLeast: 1) { _, a in
      if a.count == 1 { return try Arithmetic.divide(.float(1), a[0]) }
      var result = a[0]
      for index in 1..<a.count { result = try Arithmetic.divide(result, a[index]) }
      return result
    }
    t.define("quot", 2...2) { _, a in
      if case .int(let x) = a[0], case .int(let y) = a[1] { return .int(try Arithmetic.quotient(x, y, "quot")) }
      let y = try Arithmetic.double(a[1], "quot")
      return .float((try Arithmetic.double(a[0], "quot") / y).rounded(.towardZero))
    }
    t.define("rem", 2...2) { _, a in try Arithmetic.remainder(a[0], a[1]) }
    t.define("mod", 2...2) { _, a in try Arithmetic.modulo(a[0], a[1]) }
    t.define("inc", 1...1) { _, a in try Arithmetic.add(a[0], .int(1)) }
    t.define("dec", 1...1) { _, a in try Arithmetic.subtract(a[0], .int(1)) }
    t.define("abs", 1...1) { _, a in
      switch a[0] {
      case .int(let i):
        if i == Int.min { throw Failure.overflow("abs") }
        return .int(Swift.abs(i))
      case .float(let d): return .float(Swift.abs(d))
      default: throw Failure.type("a number", a[0], in: "abs")
      }
    }
    // NaN wins wherever it is (every comparison with it is false, so it won only when first:
    // `(max ##NaN 1)` was ##NaN and `(max 1 ##NaN)` 1).
    // Every argument must be a number, NaN or not: `(min ##NaN "x")` returned NaN.
    t.define("min", atLeast: 1) { _, a in
      if let nan = try firstNaN(a, "min") { return nan }
      var best = a[0]
      for index in 1..<a.count where try Arithmetic.less(a[index], best, "min") { best = a[index] }
      return best
    }
    t.define("max", atLeast: 1) { _, a in
      if let nan = try firstNaN(a, "max") { return nan }
      var best = a[0]
      for index in 1..<a.count where try Arithmetic.less(best, a[index], "max") { best = a[index] }
      return best
    }
    t.define("=", atLeast: 1) { m, a in
      for index in 1..<max(a.count, 1) where !(try Value.checkedEqual(a[index - 1], a[index], machine: m)) {
        return .bool(false)
      }
      return .bool(true)
    }
    t.define("not=", atLeast: 1) { m, a in
      for index in 1..<max(a.count, 1) where !(try Value.checkedEqual(a[index - 1], a[index], machine: m)) {
        return .bool(true)
      }
      return .bool(false)
    }
    func chain(_ name: String, _ accept: @escaping (Int) -> Bool) {
      t.define(name, atLeast: 1) { _, a in
        if a.count == 1 { _ = try Arithmetic.compare(a[0], a[0], name) }
        for index in 1..<max(a.count, 1) {
          let order = try Arithmetic.compare(a[index - 1], a[index], name)
          if order == 2 || !accept(order) { return .bool(false) }
        }
        return .bool(true)
      }
    }
    chain("<") { $0 < 0 }
    chain(">") { $0 > 0 }
    chain("<=") { $0 <= 0 }
    chain(">=") { $0 >= 0 }
    t.define("not", 1...1) { _, a in .bool(!a[0].isTruthy) }
    t.define("even?", 1...1) { _, a in .bool(try Check.int(a[0], "even?") % 2 == 0) }
    t.define("odd?", 1...1) { _, a in .bool(try Check.int(a[0], "odd?") % 2 != 0) }
    t.define("zero?", 1...1) { _, a in .bool(try Arithmetic.double(a[0], "zero?") == 0) }
    t.define("pos?", 1...1) { _, a in .bool(try Arithmetic.double(a[0], "pos?") > 0) }
    t.define("neg?", 1...1) { _, a in .bool(try Arithmetic.double(a[0], "neg?") < 0) }
    t.define("int?", 1...1) { _, a in
      if case .int = a[0] { return .bool(true) }
      return .bool(false)
    }
    t.define("float?", 1...1) { _, a in
      if case .float = a[0] { return .bool(true) }
      return .bool(false)
    }
    t.define("number?", 1...1) { _, a in .bool(Arithmetic.isNumber(a[0])) }
    t.define("int", 1...1) { _, a in
      switch a[0] {
      case .int: return a[0]
      case .float(let d):
        // Exact bounds: -2^63 is an Int, 2^63 is not (both are exactly representable doubles).
        guard d.isFinite, d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else {
          throw Failure.overflow("int")
        }
        return .int(Int(d.rounded(.towardZero)))
      case .char(let c): return .int(Int(c.value))
      default: throw Failure.type("a number or char", a[0], in: "int")
      }
    }
    t.define("float", 1...1) { _, a in .float(try Arithmetic.double(a[0], "float")) }
    t.define("sqrt", 1...1) { _, a in .float((try Arithmetic.double(a[0], "sqrt")).squareRoot()) }
    t.define("floor", 1...1) { _, a in .float((try Arithmetic.double(a[0], "floor")).rounded(.down)) }
    t.define("ceil", 1...1) { _, a in .float((try Arithmetic.double(a[0], "ceil")).rounded(.up)) }
    t.define("round", 1...1) { _, a in .float((try Arithmetic.double(a[0], "round")).rounded()) }
  }

  /// The first NaN among `a`, after checking that every argument is a number.
  private static func firstNaN(_ a: Arguments, _ operation: String) throws -> Value? {
    var found: Value? = nil
    for index in 0..<a.count {
      let isNaN = try Arithmetic.double(a[index], operation).isNaN
      if isNaN && found == nil { found = a[index] }
    }
    return found
  }
}
