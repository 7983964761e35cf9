// Callable values: closures over analyzed code, Swift builtins, and late-bound references.

import OxurSyntax

/// One arity of a function: how many parameters, whether the last collects the rest, and its code.
public final class Arity: @unchecked Sendable {
  let requiredCount: Int
  let isVariadic: Bool
  /// Slots a call needs: parameters first, then locals and captured values.
  let frameSize: Int
  let body: Node
  /// Unretained view of `body` for the call path (the arity owns it).
  let bodyReference: Unmanaged<Node>
  let span: Span
  /// Which captured value (index into the closure's captures) goes into which slot.
  let captureMap: [CaptureSlot]
  /// For `(fn name [..] ..)`: the slot that holds the closure itself.
  let selfSlot: Int?

  init(
    requiredCount: Int, isVariadic: Bool, frameSize: Int, body: Node, span: Span, captureMap: [CaptureSlot],
    selfSlot: Int?
  ) {
    self.requiredCount = requiredCount
    self.isVariadic = isVariadic
    self.frameSize = frameSize
    self.body = body
    self.bodyReference = Unmanaged.passUnretained(body)
    self.span = span
    self.captureMap = captureMap
    self.selfSlot = selfSlot
  }

  func accepts(_ count: Int) -> Bool { isVariadic ? count >= requiredCount : count == requiredCount }
}

/// The analyzed code of an `fn`: shared by every closure made from it.
public final class Lambda: @unchecked Sendable {
  public let name: String?
  public let module: String?
  /// The module whose code it is, named or not: where the help forms look names up while it
  /// runs (`Machine.helpModule`).
  let homeModule: String?
  /// The first arity, and the others of a multi-arity function: a one-arity function (almost
  /// every one) keeps no array, which was an allocation per definition at every reload and a
  /// free per definition each time a kept version left the history.
  let firstArity: Arity
  let otherArities: [Arity]
  /// Set when the function has exactly one fixed arity: the fast path of every call.
  let single: Arity?
  let singleReference: Unmanaged<Arity>?
  /// `single` when a call needs nothing in its frame but the arguments (no captured values, no
  /// self slot): the fast path of `Machine.runFrame`.
  let plainSingleReference: Unmanaged<Arity>?
  /// Which enclosing slots to copy into the closure, in order.
  let captureSources: [CaptureSource]
  let span: Span
  /// Keeps the text its nodes' spans point into for as long as the function lives.
  let sourceFile: SourceFile?

  init(
    name: String?, module: String?, firstArity: Arity, otherArities: [Arity], captureSources: [CaptureSource],
    span: Span, sourceFile: SourceFile?, homeModule: String? = nil
  ) {
    self.name = name
    self.module = module
    self.homeModule = homeModule ?? module
    self.firstArity = firstArity
    self.otherArities = otherArities
    self.single = otherArities.isEmpty && !firstArity.isVariadic ? firstArity : nil
    self.singleReference = single.map { Unmanaged.passUnretained($0) }
    self.plainSingleReference = single.flatMap {
      $0.captureMap.isEmpty && $0.selfSlot == nil ? Unmanaged.passUnretained($0) : nil
    }
    self.captureSources = captureSources
    self.span = span
    self.sourceFile = sourceFile
  }

  /// Every arity in order (introspection and printing; calls use `arity(for:)`).
  var arities: [Arity] { [firstArity] + otherArities }

  /// A fixed arity taking exactly `count` first, then any that accepts it, in order.
  func arity(for count: Int) -> Arity? {
    if !firstArity.isVariadic && firstArity.requiredCount == count { return firstArity }
    for arity in otherArities where !arity.isVariadic && arity.requiredCount == count { return arity }
    if firstArity.accepts(count) { return firstArity }
    for arity in otherArities where arity.accepts(count) { return arity }
    return nil
  }

  /// `2`, `1+` or `1|2` as printed in `#<fn m:f/2>`.
  var arityDescription: String {
    arities.map { "\($0.requiredCount)\($0.isVariadic ? "+" : "")" }.joined(separator: "|")
  }

  var displayName: String {
    guard let name else { return "fn" }
    if let module { return "\(module):\(name)" }
    return name
  }
}

/// Where a captured value comes from when a closure is created: a slot of the enclosing frame.
struct CaptureSource {
  let slot: Int
}

/// Where a captured value goes when the closure is called.
struct CaptureSlot {
  let index: Int
  let slot: Int
}

/// A function value: code plus the values it captured.
public final class Closure: @unchecked Sendable {
  let lambda: Lambda
  /// Unretained view of `lambda` for the call path (the closure owns it).
  let lambdaReference: Unmanaged<Lambda>
  /// Set only by `deinit` (see `Reclaimer`).
  @exclusivity(unchecked) private(set) var captures: ContiguousArray<Value>

  /// Frames of this closure on any machine's stack. Global calls run a binding's closure without
  /// retaining it (DESIGN.md §11); a binding that lets go of a running closure (a reload, a
  /// redefinition, a version leaving history) parks it in `keptWhileRunning` until its last
  /// frame returns. Plain (non-atomic) counts: every call runs under the evaluator lock.
  @exclusivity(unchecked) private var activeCalls = 0
  @exclusivity(unchecked) private var keptWhileRunning: Closure?

  init(lambda: Lambda, captures: ContiguousArray<Value>) {
    self.lambda = lambda
    self.lambdaReference = Unmanaged.passUnretained(lambda)
    self.captures = captures
  }

  @inline(__always) static func callStarted(_ closure: Unmanaged<Closure>) {
    closure._withUnsafeGuaranteedRef { $0.activeCalls &+= 1 }
  }

  /// Ends a frame; frees a closure its binding let go of once its last frame has returned.
  @inline(__always) static func callEnded(_ closure: Unmanaged<Closure>) {
    let released: Closure? = closure._withUnsafeGuaranteedRef { closure in
      closure.activeCalls &-= 1
      guard closure.activeCalls == 0, closure.keptWhileRunning != nil else { return nil }
      return closure.releaseKeptReference()
    }
    _ = released
  }

  private func releaseKeptReference() -> Closure? {
    defer { keptWhileRunning = nil }
    return keptWhileRunning
  }

  /// Called by a binding letting go of this closure: stays alive until its frames return.
  func bindingReleased() {
    if activeCalls > 0 { keptWhileRunning = self }
  }

  deinit { if !captures.isEmpty { Reclaimer.release(&captures, empty: []) } }
}

/// The arguments of a builtin call: a window onto the value stack, valid only during the call.
public struct Arguments {
  let base: UnsafeMutablePointer<Value>
  public let count: Int

  @inline(__always) public subscript(_ index: Int) -> Value {
    index >= 0 && index < count ? base[index] : .nil
  }

  public var all: [Value] { (0..<count).map { base[$0] } }

  /// Moves an argument out of its stack slot, so the builtin may hold the only reference.
  func take(_ index: Int) -> Value {
    guard index >= 0 && index < count else { return .nil }
    let value = base[index]
    base[index] = .nil
    return value
  }
  public func dropping(_ n: Int) -> [Value] { n >= count ? [] : (n..<count).map { base[$0] } }
}

/// A prelude function written in Swift.
public final class Builtin: @unchecked Sendable {
  public typealias Body = (Machine, Arguments) throws -> Value
  public let name: String
  public let minimumArity: Int
  /// nil: any number above the minimum.
  public let maximumArity: Int?
  let body: Body
  /// Takes its first argument out of the call (`Arguments.take(0)`) and updates it in place
  /// when nothing else holds it (`conj`, `assoc`, `update`): the analyzer moves a local that
  /// dies with the call into it. Set while the prelude is built, before any thread sees it.
  var updatesFirstArgumentInPlace = false
  /// What the analyzer builds for a call of this builtin instead of the plain call node. Set
  /// only on the prelude's own builtins while the prelude is built: a host builtin, or an
  /// alias, of the same name is called plainly. A tag, not a name: the analyzer looked each
  /// call's name up in a set of strings, 500 instructions a call analyzed.
  var analysisRole = AnalysisRole.plain

  enum AnalysisRole {
    case plain
    /// `macroexpand` and `macroexpand-1` expand with the macros of the calling module.
    case macroexpand, macroexpandOnce
    /// `spawn` places a failure of the process it starts at its own call.
    case spawn
    /// `load`, `reload`, `reload-all`, `rollback` and `unload` report a failure at their call
    /// (`ReportSiteNode`).
    case reportsFailure
  }

  /// Makes calls of this host builtin record where they are written (`Machine.callSite`), for
  /// a builtin that keeps work to run later, outside any Oxur frame (a server calling its
  /// handler): a failure there can then be placed at the call that set it up. Before it is
  /// defined; the prelude's own builtins are tagged as they are built.
  @discardableResult
  public func recordsCallSite() -> Builtin {
    analysisRole = .reportsFailure
    return self
  }

  public init(_ name: String, arity: ClosedRange<Int>, _ body: @escaping Body) {
    self.name = name
    self.minimumArity = arity.lowerBound
    self.maximumArity = arity.upperBound
    self.body = body
  }

  public init(_ name: String, atLeast minimum: Int, _ body: @escaping Body) {
    self.name = name
    self.minimumArity = minimum
    self.maximumArity = nil
    self.body = body
  }

  func accepts(_ count: Int) -> Bool {
    count >= minimumArity && (maximumArity.map { count <= $0 } ?? true)
  }

  var arityDescription: String {
    if let maximumArity {
      return maximumArity == minimumArity ? "\(minimumArity)" : "\(minimumArity) to \(maximumArity)"
    }
    return "at least \(minimumArity)"
  }
}

/// Values a Swift-written function made at run time holds (`comp`, `partial`, `constantly`).
/// Swift frees a closure's captures by plain recursion, so a chain of a million `comp`s freed at
/// once would take a million nested deinits; held here, they go through `Reclaimer` like the
/// contents of any container, and freeing the chain runs in constant host stack.
final class CapturedValues: @unchecked Sendable {
  /// Set once at creation; read-only afterwards, so threads calling the function may share it.
  private(set) var values: [Value]
  init(_ values: [Value]) { self.values = values }
  deinit { if !values.isEmpty { Reclaimer.release(&values, empty: []) } }
}

/// A global function named as a value: each call resolves the definition's current version.
public final class FunctionReference: @unchecked Sendable {
  let site: GlobalSite
  init(site: GlobalSite) { self.site = site }

  var displayName: String { site.qualifiedName }

  func isSameDefinition(as other: FunctionReference) -> Bool {
    site.entry === other.site.entry && site.name === other.site.name
  }
}
