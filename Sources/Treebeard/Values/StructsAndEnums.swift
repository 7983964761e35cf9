// User data types: struct types with their instances, enum types with their variants.

import Foundation
import OxurSyntax

/// A `defstruct`. Each load of the defining module makes a new type object (a new layout version).
public final class StructType: @unchecked Sendable {
  public let name: String
  public let module: String
  public let fields: [Keyword]
  let fieldIndex: [Keyword: Int]
  /// The module version whose load made this layout; 0 until that load commits (and for types
  /// defined at the REPL). A migrator receives it as `old-version`.
  public internal(set) var layoutVersion = 0
  /// Instances of exactly this layout that are alive now (LiveInstances.swift).
  let liveInstances = LiveInstances()
  /// The `defstruct` that made this layout (where a reload it cannot migrate to is refused).
  let span: Span

  init(name: String, module: String, fields: [Keyword], span: Span = .unknown) {
    self.name = name
    self.module = module
    self.fields = fields
    self.span = span
    var index: [Keyword: Int] = [:]
    for (position, field) in fields.enumerated() { index[field] = position }
    self.fieldIndex = index
  }

  var qualifiedName: String { "\(module):\(name)" }

  /// Instances of an earlier load with the same fields still count as this type.
  func isSameType(as other: StructType) -> Bool {
    self === other || (name == other.name && module == other.module && fields == other.fields)
  }
}

/// A struct value. Fields are positional; `type` and `values` are replaced together only by
/// migration (inside a reload transaction, so no other thread evaluates meanwhile) and by `deinit`.
public final class StructInstance: @unchecked Sendable {
  @exclusivity(unchecked) public private(set) var type: StructType
  @exclusivity(unchecked) public private(set) var values: [Value]
  /// Links of `type.liveInstances`, guarded by that list's lock.
  @exclusivity(unchecked) var nextLive: Unmanaged<StructInstance>?
  @exclusivity(unchecked) var previousLive: Unmanaged<StructInstance>?

  init(type: StructType, values: [Value]) {
    self.type = type
    self.values = values
    type.liveInstances.link(Unmanaged.passUnretained(self))
  }

  deinit {
    type.liveInstances.unlink(Unmanaged.passUnretained(self))
    if !values.isEmpty { Reclaimer.release(&values, empty: []) }
  }

  /// Migration: this instance takes `layout` and `contents` in place, so every holder sees the
  /// new value; returns what it had, for undoing the migration when the transaction fails.
  @discardableResult
  func replaceContents(layout: StructType, contents: [Value]) -> (StructType, [Value]) {
    let old = (type, values)
    if layout !== type {
      type.liveInstances.unlink(Unmanaged.passUnretained(self))
      type = layout
      layout.liveInstances.link(Unmanaged.passUnretained(self))
    }
    values = contents
    return old
  }

  func field(_ key: Keyword) -> Value? {
    guard let index = type.fieldIndex[key], index < values.count else { return nil }
    return values[index]
  }
}

/// Reads one field of instances of any layout of a struct, remembering where the field sits in
/// the last layout seen: a migrator reads thousands of old instances of one layout in a row.
/// Used only with the evaluator lock held (accessors are builtins), hence unchecked.
final class FieldReader: @unchecked Sendable {
  let field: Keyword
  @exclusivity(unchecked) private var lastLayout: StructType?
  @exclusivity(unchecked) private var lastIndex = 0

  init(field: Keyword) { self.field = field }

  func read(_ instance: StructInstance) -> Value? {
    if instance.type === lastLayout, lastIndex < instance.values.count { return instance.values[lastIndex] }
    guard let index = instance.type.fieldIndex[field], index < instance.values.count else { return nil }
    lastLayout = instance.type
    lastIndex = index
    return instance.values[index]
  }
}

/// A `defenum`, or the built-in Option and Result.
public final class EnumType: @unchecked Sendable {
  public let name: String
  public let module: String?
  public private(set) var variants: [Variant] = []

  init(name: String, module: String?, variants: [(String, Int)]) {
    self.name = name
    self.module = module
    self.variants = variants.enumerated().map { Variant(enumType: self, name: $1.0, arity: $1.1, index: $0) }
  }

  func variant(named name: String) -> Variant? { variants.first { $0.name == name } }
}

/// One case of an enum.
public final class Variant: @unchecked Sendable {
  /// Weak: the type owns its variants, and a value of a redefined enum outlives the old type.
  public private(set) weak var enumType: EnumType?
  /// The type's name, kept so values of a redefined (freed) enum type still compare safely.
  public let enumName: String
  public let name: String
  public let arity: Int
  public let index: Int

  init(enumType: EnumType, name: String, arity: Int, index: Int) {
    self.enumType = enumType
    self.enumName = enumType.name
    self.name = name
    self.arity = arity
    self.index = index
  }

  /// The value a bare `Empty` or `Circle` evaluates to: the unit value, or the constructor.
  /// Built on first use under a lock: the built-in variants are shared by every interpreter.
  var bareValue: Value {
    bareValueLock.lock()
    defer { bareValueLock.unlock() }
    if let cached = bareValueCache { return cached }
    let created = Value.variant(EnumValue(variant: self, payload: [], isConstructor: arity > 0))
    bareValueCache = created
    return created
  }
  private var bareValueCache: Value?
  private let bareValueLock = NSLock()

  func sameCase(as other: Variant) -> Bool {
    self === other || (name == other.name && enumName == other.enumName && arity == other.arity)
  }
}

/// An enum value such as `(Circle 1.0)` or `None`. A constructor (`Circle` itself) is callable.
public final class EnumValue: @unchecked Sendable {
  public let variant: Variant
  /// Set only by `deinit` (see `Reclaimer`).
  @exclusivity(unchecked) public private(set) var payload: [Value]
  let isConstructor: Bool

  init(variant: Variant, payload: [Value], isConstructor: Bool = false) {
    self.variant = variant
    self.payload = payload
    self.isConstructor = isConstructor
  }

  deinit { if !payload.isEmpty { Reclaimer.release(&payload, empty: []) } }
}

/// Option and Result, shared by every module.
public enum BuiltinEnums {
  static let option = EnumType(name: "Option", module: nil, variants: [("Some", 1), ("None", 0)])
  static let result = EnumType(name: "Result", module: nil, variants: [("Ok", 1), ("Err", 1)])
  static var some: Variant { option.variants[0] }
  static var none: Variant { option.variants[1] }
  static var ok: Variant { result.variants[0] }
  static var err: Variant { result.variants[1] }

  static func okValue(_ value: Value) -> Value { .variant(EnumValue(variant: ok, payload: [value])) }
  static func errValue(_ value: Value) -> Value { .variant(EnumValue(variant: err, payload: [value])) }
}
