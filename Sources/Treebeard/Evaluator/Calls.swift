// Calling: closures with a trampoline for tail calls, builtins, references, callable data.

import OxurSyntax

extension Machine {
  /// Calls `callee` with the `argumentCount` values on top of the stack, which it consumes.
  func apply(_ callee: Value, argumentCount: Int, span: Span) throws -> Value {
    switch callee {
    case .closure(let closure):
      return try invoke(closure, argumentCount: argumentCount, span: span)
    case .builtin(let builtin):
      return try callBuiltin(builtin, argumentCount: argumentCount, span: span)
    case .functionReference(let reference):
      return try apply(
        try calleeAtCall(reference.site, argumentCount: argumentCount, span: span), argumentCount: argumentCount,
        span: span)
    default:
      return try applyData(callee, argumentCount: argumentCount, span: span)
    }
  }

  /// Keywords, maps, sets, vectors and enum constructors used as functions.
  private func applyData(_ callee: Value, argumentCount: Int, span: Span) throws -> Value {
    let base = sp - argumentCount
    defer { pop(to: base) }
    let arguments = Arguments(base: base, count: argumentCount)
    switch callee {
    case .keyword where argumentCount == 1 || argumentCount == 2:
      return Collections.lookup(arguments[0], callee, default: argumentCount == 2 ? arguments[1] : .nil)
    case .map(let map) where argumentCount == 1 || argumentCount == 2:
      return map.get(arguments[0]) ?? (argumentCount == 2 ? arguments[1] : .nil)
    case .set(let set) where argumentCount == 1:
      return set.contains(arguments[0]) ? arguments[0] : .nil
    case .vector(let vector) where argumentCount == 1:
      guard case .int(let index) = arguments[0] else {
        throw Failure.type("an integer index", arguments[0], in: "vector call").located(span)
      }
      guard let element = vector.at(index) else { throw Failure.index(index, vector.count, "vector").located(span) }
      return element
    case .variant(let value) where value.isConstructor:
      guard argumentCount == value.variant.arity else {
        throw Failure.arity(value.variant.name, expected: "\(value.variant.arity)", got: argumentCount).located(span)
      }
      return .variant(EnumValue(variant: value.variant, payload: arguments.all))
    case .keyword, .map, .set, .vector:
      throw Failure.arity(Printer.readable(callee, limit: 40), expected: "1 or 2", got: argumentCount).located(span)
    default:
      throw Failure.notCallable(callee).located(span)
    }
  }

  func callBuiltin(_ builtin: Builtin, argumentCount: Int, span: Span) throws -> Value {
    let base = sp - argumentCount
    defer { pop(to: base) }
    guard builtin.accepts(argumentCount) else {
      throw Failure.arity(builtin.name, expected: builtin.arityDescription, got: argumentCount).located(span)
    }
    // A builtin calling a builtin for each element (`(map vector xs)`, `(group-by identity
    // xs)`) passes no other safe point: an interrupt or a memory signal is taken here.
    try checkInterrupt()
    do {
      return try builtin.body(self, Arguments(base: base, count: argumentCount))
    } catch let error as OxurError {
      throw builtinFailed(error, builtin.name, span)
    } catch let exit as ExitRequest {
      throw exit.located(span)
    }
  }

  /// A builtin threw: a higher-order one (map, reduce …) between two Oxur frames belongs in the
  /// trace; the error is located at the call unless it has a place already.
  @inline(never) func builtinFailed(_ error: OxurError, _ name: String, _ span: Span) -> OxurError {
    if !error.trace.isEmpty { error.addFrame(name, span) }
    return error.located(span)
  }

  /// Runs a closure whose arguments are on top of the stack; the caller holds it for the call.
  @inline(__always) func invoke(_ closure: Closure, argumentCount: Int, span: Span) throws -> Value {
    try withExtendedLifetime(closure) {
      try invoke(unretained: Unmanaged.passUnretained(closure), argumentCount: argumentCount, span: span)
    }
  }

  /// Runs a closure whose arguments are on top of the stack. The closure is not retained: either
  /// the caller holds it, or it is the value of a global binding, which keeps it alive while a
  /// frame of it runs (`Closure.bindingReleased`; DESIGN.md §11: no reference counting on the
  /// call path). Tail calls continue in `runTailCalls`, reusing the frame, so tail recursion runs
  /// in constant stack.
  @inline(__always) func invoke(unretained closure: Unmanaged<Closure>, argumentCount: Int, span: Span) throws -> Value
  {
    // The callee is chosen already: stop here if interrupted, but hand over only where no callee
    // is pending (see `safePoint`), or a reload committed meanwhile would run in old code.
    if attention.raised.load(ordering: .relaxed) {
      do { try interruptPoint() } catch let error as OxurError {
        pop(to: sp - argumentCount)
        throw error.located(span)
      }
    }
    let base = sp - argumentCount
    // Bounded by `depthLimit`, far below overflow.
    depth &+= 1
    Closure.callStarted(closure)
    defer {
      Closure.callEnded(closure)
      depth &-= 1
    }
    if depth > depthLimit {
      pop(to: base)
      throw stackOverflow(closure._withUnsafeGuaranteedRef { $0.lambda.displayName }, span)
    }
    let result = try runFrame(closure, base: base, count: argumentCount, span: span)
    guard case .tailCallSignal = result else {
      pop(to: base)
      return result
    }
    return try runTailCalls(base: base, span: span, origin: closure)
  }

  /// One activation of `closure` in the frame at `base` holding `count` arguments: binds the
  /// arity, runs the body and its `recur` loop. Leaves the frame for the caller to clear.
  @inline(__always) private func runFrame(
    _ closure: Unmanaged<Closure>, base: UnsafeMutablePointer<Value>, count: Int, span: Span
  ) throws -> Value {
    callFrames[depth] = closure
    let lambdaReference = closure._withUnsafeGuaranteedRef { $0.lambdaReference }
    let arityReference: Unmanaged<Arity>
    // The fast path: one fixed arity that matches, nothing to place in the frame but arguments.
    if let plain = lambdaReference._withUnsafeGuaranteedRef({ $0.plainSingleReference }),
      plain._withUnsafeGuaranteedRef({ $0.requiredCount }) == count
    {
      arityReference = plain
      let frameEnd = base + plain._withUnsafeGuaranteedRef { $0.frameSize }
      guard frameEnd < stackLimit || grow(to: frameEnd) else {
        pop(to: base)
        throw stackOverflow(lambdaReference.takeUnretainedValue().displayName, span)
      }
      if frameEnd > sp { sp = frameEnd }
    } else {
      arityReference = try prepareFrame(closure, base: base, count: count, span: span)
    }
    let bodyReference = arityReference._withUnsafeGuaranteedRef { $0.bodyReference }
    do {
      var result = try bodyReference._withUnsafeGuaranteedRef { try $0.eval(self, base) }
      while case .recurSignal = result {
        if attention.raised.load(ordering: .relaxed) {
          try safePoint(at: bodyReference._withUnsafeGuaranteedRef { $0.span })
        }
        result = try bodyReference._withUnsafeGuaranteedRef { try $0.eval(self, base) }
      }
      return result
    } catch let error as OxurError {
      throw frameFailed(error, lambdaReference, base: base, span: span)
    }
  }

  /// Everything but the fast path of `runFrame`: several arities, rest arguments, captured
  /// values and the self slot, arity errors. Returns the arity whose body runs.
  @inline(never) private func prepareFrame(
    _ closure: Unmanaged<Closure>, base: UnsafeMutablePointer<Value>, count: Int, span: Span
  ) throws -> Unmanaged<Arity> {
    let lambdaReference = closure._withUnsafeGuaranteedRef { $0.lambdaReference }
    let arityReference: Unmanaged<Arity>
    if let single = lambdaReference._withUnsafeGuaranteedRef({ $0.singleReference }),
      single._withUnsafeGuaranteedRef({ $0.requiredCount }) == count
    {
      arityReference = single
    } else if let found = lambdaReference._withUnsafeGuaranteedRef({ $0.arity(for: count) }) {
      arityReference = Unmanaged.passUnretained(found)
      if found.isVariadic { packRest(base: base, count: count, required: found.requiredCount) }
    } else {
      pop(to: base)
      let lambda = lambdaReference.takeUnretainedValue()
      throw Failure.arity(lambda.displayName, expected: lambda.arityDescription, got: count).located(span)
    }
    let frameEnd = base + arityReference._withUnsafeGuaranteedRef { $0.frameSize }
    guard frameEnd < stackLimit || grow(to: frameEnd) else {
      pop(to: base)
      throw stackOverflow(lambdaReference.takeUnretainedValue().displayName, span)
    }
    arityReference._withUnsafeGuaranteedRef { arity in
      if !arity.captureMap.isEmpty {
        closure._withUnsafeGuaranteedRef { closure in
          for capture in arity.captureMap {
            // An Int is copied inline; other values through the out-of-line copy of a `Value`.
            if case .int(let value) = closure.captures[capture.index] {
              Machine.store(.int(value), into: base + capture.slot)
            } else {
              Machine.store(closure.captures[capture.index], into: base + capture.slot)
            }
          }
        }
      }
      if let selfSlot = arity.selfSlot { base[selfSlot] = .closure(closure.takeUnretainedValue()) }
    }
    if frameEnd > sp { sp = frameEnd }
    return arityReference
  }

  /// A body failed: clears its frame and adds the function to the error's trace.
  @inline(never) private func frameFailed(
    _ error: OxurError, _ lambdaReference: Unmanaged<Lambda>, base: UnsafeMutablePointer<Value>, span: Span
  ) -> OxurError {
    pop(to: base)
    // Calls from Swift (map's callbacks) have no call span: the trace says the builtin below
    // called it (its definition's place was shown as "called at", which no call was).
    let lambda = lambdaReference.takeUnretainedValue()
    error.addFrame(lambda.displayName, span)
    return error
  }

  /// The trampoline: a body returned `.tailCallSignal`, so its callee runs in the same frame,
  /// and so on until a body returns a value. Out of line to keep `invoke` small.
  /// Frames keep the span of the call that started the chain (a trace shows the tail callee
  /// where the replaced function was called).
  /// `origin` is the closure `invoke` was called with, alive for the whole chain: each pass
  /// points this depth's `callFrames` entry back at it, because the previous tail callee may
  /// be freed by then and a builtin (or a safe point's loader) may read the entry before the
  /// next closure's frame overwrites it.
  @inline(never) private func runTailCalls(
    base: UnsafeMutablePointer<Value>, span callSpan: Span, origin: Unmanaged<Closure>
  ) throws -> Value {
    while true {
      callFrames[depth] = origin
      // Holds the tail callee, which nobody else may hold, while it runs.
      var callee = tailCallee
      tailCallee = .nil
      let count = tailArgumentCount
      let span = tailSpan
      let source = sp - count
      for index in 0..<count { base[index] = source[index] }
      pop(to: base + count)
      if attention.raised.load(ordering: .relaxed) {
        do { try interruptPoint() } catch let error as OxurError {
          pop(to: base)
          throw error.located(span)
        }
      }
      if case .functionReference(let reference) = callee {
        callee = try calleeAtCall(reference.site, argumentCount: count, span: span)
      }
      guard case .closure(let closure) = callee else {
        return try apply(callee, argumentCount: count, span: span)
      }
      let reference = Unmanaged.passUnretained(closure)
      Closure.callStarted(reference)
      defer { Closure.callEnded(reference) }
      let result = try runFrame(reference, base: base, count: count, span: callSpan)
      guard case .tailCallSignal = result else {
        pop(to: base)
        return result
      }
    }
  }

  /// Collects arguments past `required` into a list in slot `required`.
  private func packRest(base: UnsafeMutablePointer<Value>, count: Int, required: Int) {
    var rest: ListNode? = nil
    var index = count - 1
    while index >= required {
      rest = ListNode(base[index], rest)
      index -= 1
    }
    pop(to: base + required)
    base[required] = rest == nil ? .nil : .list(rest)
    sp = base + required + 1
  }

  /// Evaluates call arguments onto the stack; on an error, removes the ones already pushed.
  /// Always reserves: argument evaluation nests, so pending pushes add up past any margin.
  @inline(__always) func pushArguments(_ arguments: [Node], _ fp: UnsafeMutablePointer<Value>) throws {
    try reserve(arguments.count)
    let base = sp
    do {
      for argument in arguments { push(try argument.eval(self, fp)) }
    } catch {
      pop(to: base)
      throw error
    }
  }

  /// A call in tail position: hands the callee (arguments already pushed) to the trampoline of
  /// the running function (`invoke`), which reuses the frame.
  @inline(__always) func signalTailCall(_ callee: Value, argumentCount: Int, span: Span) -> Value {
    tailCallee = callee
    tailArgumentCount = argumentCount
    tailSpan = span
    return .tailCallSignal
  }

  /// The callee of a global call, looked up after its arguments are evaluated (they may reload
  /// its module) and after the safe point, where another thread's reload may commit: the call
  /// runs the definition current at the moment of the call. On failure the pushed arguments go.
  @inline(__always) func calleeAtCall(_ site: GlobalSite, argumentCount: Int, span: Span) throws -> Value {
    try atCall(argumentCount: argumentCount, span: span) { try site.currentValue() }
  }

  /// The callee of a global call when it is a closure, unretained (see `invoke(unretained:)`);
  /// nil when the global holds another kind of value (then `calleeAtCall` gives it).
  @inline(__always) func closureAtCall(_ site: GlobalSite, argumentCount: Int, span: Span) throws -> Unmanaged<Closure>?
  {
    try atCall(argumentCount: argumentCount, span: span) { try site.currentClosure() }
  }

  /// The safe point before a global callee is read, then the read; on failure the pushed
  /// arguments go and the error is placed at the call.
  @inline(__always) private func atCall<Callee>(
    argumentCount: Int, span: Span, _ read: () throws -> Callee
  ) throws -> Callee {
    do {
      if attention.raised.load(ordering: .relaxed) { try safePoint() }
      return try read()
    } catch let error as OxurError {
      pop(to: sp - argumentCount)
      throw error.located(span)
    }
  }

  /// Calls a function value from Swift (the prelude's higher-order functions, the embedding API).
  public func call(_ callee: Value, _ arguments: [Value], span: Span = .unknown) throws -> Value {
    try reserve(arguments.count)
    for argument in arguments { push(argument) }
    return try apply(callee, argumentCount: arguments.count, span: span)
  }

  @inline(__always) func call1(_ callee: Value, _ a: Value, span: Span) throws -> Value {
    push(a)
    return try apply(callee, argumentCount: 1, span: span)
  }

  @inline(__always) func call2(_ callee: Value, _ a: Value, _ b: Value, span: Span) throws -> Value {
    push(a)
    push(b)
    return try apply(callee, argumentCount: 2, span: span)
  }
}

/// `(f a b …)` where f is any expression.
final class CallNode: Node {
  let callee: Node
  let arguments: [Node]
  let isTail: Bool
  init(callee: Node, arguments: [Node], isTail: Bool, span: Span) {
    self.callee = callee
    self.arguments = arguments
    self.isTail = isTail
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    // A safe point before the callee is computed: code that calls only local functions still
    // hands the evaluator over.
    if m.attention.raised.load(ordering: .relaxed) { try m.safePoint() }
    let function = try callee.eval(m, fp)
    try m.pushArguments(arguments, fp)
    if isTail, function.isClosureLike {
      return m.signalTailCall(function, argumentCount: arguments.count, span: span)
    }
    return try m.apply(function, argumentCount: arguments.count, span: span)
  }
}

/// `(f a b …)` where f is a module global: late-bound through the site, one compare per call.
final class GlobalCallNode: Node {
  let site: GlobalSite
  let arguments: [Node]
  let isTail: Bool
  init(site: GlobalSite, arguments: [Node], isTail: Bool, span: Span) {
    self.site = site
    self.arguments = arguments
    self.isTail = isTail
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try m.pushArguments(arguments, fp)
    if !isTail, let closure = try m.closureAtCall(site, argumentCount: arguments.count, span: span) {
      return try m.invoke(unretained: closure, argumentCount: arguments.count, span: span)
    }
    let function = try m.calleeAtCall(site, argumentCount: arguments.count, span: span)
    if isTail, function.isClosureLike {
      return m.signalTailCall(function, argumentCount: arguments.count, span: span)
    }
    return try m.apply(function, argumentCount: arguments.count, span: span)
  }
}

/// One-argument global call, the commonest shape in recursive code.
final class GlobalCall1Node: Node {
  let site: GlobalSite
  let argument: InlineOperand
  init(site: GlobalSite, argument: Node, span: Span) {
    self.site = site
    self.argument = InlineOperand(argument)
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    m.push(try argument.eval(m, fp))
    if let closure = try m.closureAtCall(site, argumentCount: 1, span: span) {
      return try m.invoke(unretained: closure, argumentCount: 1, span: span)
    }
    let function = try m.calleeAtCall(site, argumentCount: 1, span: span)
    return try m.apply(function, argumentCount: 1, span: span)
  }
}

/// Calls a prelude builtin known at analysis time (the prelude never reloads).
final class BuiltinCallNode: Node {
  let builtin: Builtin
  let arguments: [Node]
  init(builtin: Builtin, arguments: [Node], span: Span) {
    self.builtin = builtin
    self.arguments = arguments
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try m.pushArguments(arguments, fp)
    return try m.callBuiltin(builtin, argumentCount: arguments.count, span: span)
  }

  /// A builtin call: one to three arguments the builtin accepts get operands in fields
  /// (`BuiltinCallFixedNode`); others, and wrong counts (an error when called), the general node.
  static func make(builtin: Builtin, arguments: [Node], span: Span) -> Node {
    if (1...3).contains(arguments.count) && builtin.accepts(arguments.count) {
      return BuiltinCallFixedNode(builtin: builtin, arguments: arguments, span: span)
    }
    return BuiltinCallNode(builtin: builtin, arguments: arguments, span: span)
  }
}

/// One to three analyzed operands, handed to a fixed-arity call node without the array of
/// nodes a call's operands otherwise are: that array was allocated for every such call
/// analyzed and freed as soon as the node had copied it into its fields.
struct FixedOperands {
  let first: Node
  let second: Node
  let third: Node
  let count: Int
}

/// `(conj v x)`, `(str "k" i)`: a builtin with one to three arguments of an accepted count,
/// operands in fields (no walk over an array of nodes, which retains each), no arity check.
final class BuiltinCallFixedNode: Node {
  let body: Builtin.Body
  let name: String
  let first: InlineOperand
  let second: InlineOperand
  let third: InlineOperand
  let count: Int
  init(builtin: Builtin, arguments: [Node], span: Span) {
    self.body = builtin.body
    self.name = builtin.name
    self.first = InlineOperand(arguments[0])
    self.second = InlineOperand(arguments.count > 1 ? arguments[1] : ConstantNode.unused)
    self.third = InlineOperand(arguments.count > 2 ? arguments[2] : ConstantNode.unused)
    self.count = arguments.count
    super.init(span: span)
  }
  init(builtin: Builtin, operands: FixedOperands, span: Span) {
    self.body = builtin.body
    self.name = builtin.name
    self.first = InlineOperand(operands.first)
    self.second = InlineOperand(operands.second)
    self.third = InlineOperand(operands.third)
    self.count = operands.count
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try m.reserve(count)
    let base = m.sp
    defer { m.pop(to: base) }
    m.push(try first.eval(m, fp))
    if count > 1 { m.push(try second.eval(m, fp)) }
    if count > 2 { m.push(try third.eval(m, fp)) }
    do {
      return try body(m, Arguments(base: base, count: count))
    } catch let error as OxurError {
      throw m.builtinFailed(error, name, span)
    } catch let exit as ExitRequest {
      throw exit.located(span)
    }
  }
}

extension Value {
  /// Values a tail call should trampoline into rather than call directly.
  var isClosureLike: Bool {
    switch self {
    case .closure, .functionReference: return true
    default: return false
    }
  }
}

/// One- to three-argument global call (tak, modcall): operands in fields, no array walk. In tail
/// position it hands the call to the running function's trampoline instead of nesting.
final class GlobalCallFixedNode: Node {
  let site: GlobalSite
  // Non-optional so reading them needs no retain; `count` says which are real.
  let first: InlineOperand
  let second: InlineOperand
  let third: InlineOperand
  let count: Int
  let isTail: Bool
  init(site: GlobalSite, arguments: [Node], isTail: Bool, span: Span) {
    self.site = site
    self.first = InlineOperand(arguments[0])
    self.second = InlineOperand(arguments.count > 1 ? arguments[1] : ConstantNode.unused)
    self.third = InlineOperand(arguments.count > 2 ? arguments[2] : ConstantNode.unused)
    self.count = arguments.count
    self.isTail = isTail
    super.init(span: span)
  }
  init(site: GlobalSite, operands: FixedOperands, isTail: Bool, span: Span) {
    self.site = site
    self.first = InlineOperand(operands.first)
    self.second = InlineOperand(operands.second)
    self.third = InlineOperand(operands.third)
    self.count = operands.count
    self.isTail = isTail
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    try m.reserve(count)
    let base = m.sp
    do {
      m.push(try first.eval(m, fp))
      if count > 1 { m.push(try second.eval(m, fp)) }
      if count > 2 { m.push(try third.eval(m, fp)) }
    } catch {
      m.pop(to: base)
      throw error
    }
    if let closure = try m.closureAtCall(site, argumentCount: count, span: span) {
      // Shallow tail calls nest directly (cheaper than the trampoline); from a bounded depth on
      // they go through the trampoline, so tail recursion still runs in constant stack.
      if isTail && m.depth >= Machine.directTailCallDepth {
        return m.signalTailCall(.closure(closure.takeUnretainedValue()), argumentCount: count, span: span)
      }
      return try m.invoke(unretained: closure, argumentCount: count, span: span)
    }
    return try m.apply(try m.calleeAtCall(site, argumentCount: count, span: span), argumentCount: count, span: span)
  }
}

/// A local read that is the variable's last use (an argument of `recur` or of a tail call whose
/// frame is about to be reused): the slot gives up its reference, so an update such as `assoc`
/// or `conj` can find its collection uniquely referenced and change it in place.
final class MoveLocalNode: Node {
  let slot: Int
  init(slot: Int, span: Span) {
    self.slot = slot
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let value = fp[slot]
    fp[slot] = .nil
    return value
  }
  override var numericOperandSlot: Int? { slot }
}
