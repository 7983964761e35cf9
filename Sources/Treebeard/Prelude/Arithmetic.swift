// Number semantics shared by the prelude and the specialised nodes: checked Int, IEEE Float.

enum Arithmetic {
  @inline(__always) static func add(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.addingReportingOverflow(y)
      if overflow { throw Failure.overflow("+") }
      return .int(result)
    }
    return .float(try double(a, "+") + double(b, "+"))
  }

  @inline(__always) static func subtract(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.subtractingReportingOverflow(y)
      if overflow { throw Failure.overflow("-") }
      return .int(result)
    }
    return .float(try double(a, "-") - double(b, "-"))
  }

  @inline(__always) static func multiply(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      let (result, overflow) = x.multipliedReportingOverflow(by: y)
      if overflow { throw Failure.overflow("*") }
      return .int(result)
    }
    return .float(try double(a, "*") * double(b, "*"))
  }

  /// Int `/` truncates toward zero (Rust); mixing with a Float divides as Floats.
  static func divide(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b { return .int(try quotient(x, y, "/")) }
    return .float(try double(a, "/") / double(b, "/"))
  }

  static func quotient(_ x: Int, _ y: Int, _ operation: String) throws -> Int {
    if y == 0 { throw Failure.divisionByZero() }
    let (result, overflow) = x.dividedReportingOverflow(by: y)
    if overflow { throw Failure.overflow(operation) }
    return result
  }

  /// Sign of the dividend.
  static func remainder(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      if y == 0 { throw Failure.divisionByZero() }
      let (result, overflow) = x.remainderReportingOverflow(dividingBy: y)
      return .int(overflow ? 0 : result)
    }
    let y = try double(b, "rem")
    return .float(try double(a, "rem").truncatingRemainder(dividingBy: y))
  }

  /// Sign of the divisor.
  static func modulo(_ a: Value, _ b: Value) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      if y == 0 { throw Failure.divisionByZero() }
      let (r, overflow) = x.remainderReportingOverflow(dividingBy: y)
      let remainder = overflow ? 0 : r
      return .int(remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder)
    }
    let x = try double(a, "mod")
    let y = try double(b, "mod")
    let r = x.truncatingRemainder(dividingBy: y)
    return .float(r != 0 && (r < 0) != (y < 0) ? r + y : r)
  }

  @inline(__always) static func double(_ value: Value, _ operation: String) throws -> Double {
    switch value {
    case .int(let i): return Double(i)
    case .float(let d): return d
    default: throw Failure.type("a number", value, in: operation)
    }
  }

  /// Numeric and lexical order for `<` and friends: numbers (mixed allowed), strings, chars.
  @inline(__always) static func less(_ a: Value, _ b: Value, _ operation: String) throws -> Bool {
    if case .int(let x) = a, case .int(let y) = b { return x < y }
    return try compare(a, b, operation) < 0
  }

  /// -1, 0, 1; NaN compares as unordered (every comparison false) via the caller's use of `<`.
  static func compare(_ a: Value, _ b: Value, _ operation: String) throws -> Int {
    switch (a, b) {
    case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
    case (.int, .float), (.float, .int), (.float, .float):
      let x = try double(a, operation)
      let y = try double(b, operation)
      if x.isNaN || y.isNaN { return 2 }
      return x < y ? -1 : (x == y ? 0 : 1)
    case (.string(let x), .string(let y)): return TextIdentity.compare(x.value, y.value)
    case (.char(let x), .char(let y)): return x.value < y.value ? -1 : (x == y ? 0 : 1)
    case (.keyword(let x), .keyword(let y)): return TextIdentity.compare(x.name, y.name)
    default:
      // Blame the operand that does not fit: the non-number beside a number, else the odd one.
      let culprit: Value
      if isNumber(a) || isNumber(b) {
        culprit = isNumber(a) ? b : a
      } else {
        switch a {
        case .string, .char, .keyword: culprit = b
        default: culprit = a
        }
      }
      // `(< :a "a")` said it expected "a number, string or char" of the string: name the kind
      // the other operand needs.
      let expected: String
      if isNumber(a) || isNumber(b) {
        expected = "a number"
      } else {
        switch a {
        case .string: expected = "a string to compare with a string"
        case .char: expected = "a char to compare with a char"
        case .keyword: expected = "a keyword to compare with a keyword"
        default: expected = "a number, string, char or keyword"
        }
      }
      throw Failure.type(expected, culprit, in: operation)
    }
  }

  static func isNumber(_ value: Value) -> Bool {
    switch value {
    case .int, .float: return true
    default: return false
    }
  }
}
