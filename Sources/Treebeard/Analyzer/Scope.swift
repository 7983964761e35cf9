// Lexical scope during analysis: locals resolved to frame slots, captures found and recorded.

import OxurSyntax

/// A local name bound to a slot of its function's frame.
final class LocalVariable {
  let name: String
  let slot: Int
  /// Assigned with `set!` somewhere in its top-level form: lives in a box so closures share it.
  let boxed: Bool
  init(name: String, slot: Int, boxed: Bool) {
    self.name = name
    self.slot = slot
    self.boxed = boxed
  }
}

/// The enclosing-frame slots a closure copies when created, shared by its arities.
final class CaptureList {
  private(set) var sources: [CaptureSource] = []
  func index(of slot: Int) -> Int {
    if let existing = sources.firstIndex(where: { $0.slot == slot }) { return existing }
    sources.append(CaptureSource(slot: slot))
    return sources.count - 1
  }
}

/// Where `recur` jumps: the slots it rebinds. A function's parameters take consecutive slots,
/// kept as a range: an array per function was one allocation per definition at every reload,
/// for a `recur` most functions never use.
struct RecurTarget {
  private let listed: [Int]?
  private let consecutive: Range<Int>

  init(slots: [Int]) {
    listed = slots
    consecutive = 0..<0
  }

  init(consecutive: Range<Int>) {
    listed = nil
    self.consecutive = consecutive
  }

  var slots: [Int] { listed ?? Array(consecutive) }
  var count: Int { listed?.count ?? consecutive.count }
}

/// A local name as bound in a block. A struct rather than a tuple: arrays of tuples are
/// destroyed through run-time metadata.
struct ScopedLocal {
  let key: NameKey
  let variable: LocalVariable
}

/// One function being analyzed (or a top-level form, which is compiled as a function of no
/// parameters). Slots are never reused within a function, which keeps captures simple.
final class FunctionContext {
  @exclusivity(unchecked) private(set) var parent: FunctionContext?
  /// The function's locals in declaration order, searched from the end (innermost, latest
  /// first). `blockStarts` holds where each block opened by `pushBlock` begins; entries before
  /// the first are the function's own block. A dictionary per block cost an allocation and
  /// a table per function at every reload of every definition; functions have few locals.
  /// Past `Self.linearLimit` locals the blocks become dictionaries (`indexed`), so a function
  /// with thousands of locals does not make every name look-up linear.
  @exclusivity(unchecked) private var locals: [ScopedLocal] = []
  @exclusivity(unchecked) private var blockStarts: [Int] = []
  @exclusivity(unchecked) private var indexed: [[NameKey: LocalVariable]]? = nil
  static let linearLimit = 32
  @exclusivity(unchecked) private(set) var slotCount = 0
  /// Shared by the arities of one `fn`: the closure has one capture list. Made on first use
  /// otherwise: a top-level form's context never captures, and one list per definition was an
  /// allocation at every reload.
  var captures: CaptureList {
    if let ownCaptures { return ownCaptures }
    let created = CaptureList()
    ownCaptures = created
    return created
  }
  @exclusivity(unchecked) private var ownCaptures: CaptureList?
  @exclusivity(unchecked) private(set) var captureMap: [CaptureSlot] = []
  @exclusivity(unchecked) var recurTarget: RecurTarget?
  /// Names that are targets of `set!` in the form being analyzed.
  @exclusivity(unchecked) private(set) var assignedNames: NameSet
  /// Locals whose next read may move the value out of its slot (see `MoveLocalNode`).
  @exclusivity(unchecked) var moveCandidates: [ObjectIdentifier: LocalVariable] = [:]

  init(parent: FunctionContext?, assignedNames: NameSet, captures: CaptureList? = nil) {
    self.parent = parent
    self.assignedNames = assignedNames
    self.ownCaptures = captures
  }

  /// The capture list, if anything was captured or one was shared in.
  var existingCaptures: CaptureList? { ownCaptures }

  /// Lets go of everything a finished function's analysis left here, keeping the storage of its
  /// locals, so `reuse` can make it a fresh context (see `Analyzer.makeContext`): a context
  /// and its locals' array were two allocations and frees per function at every reload.
  func clear() {
    parent = nil
    if !assignedNames.isEmpty { assignedNames = [] }
    ownCaptures = nil
    // One at a time from the end: `removeAll(keepingCapacity:)` goes through the generic
    // `replaceSubrange`, about 400 instructions for the one or two locals a function has.
    while locals.popLast() != nil {}
    if !blockStarts.isEmpty { blockStarts.removeAll(keepingCapacity: true) }
    indexed = nil
    slotCount = 0
    if !captureMap.isEmpty { captureMap = [] }
    recurTarget = nil
    if !moveCandidates.isEmpty { moveCandidates = [:] }
  }

  /// A cleared context as a fresh one's state for another function.
  func reuse(parent: FunctionContext?, assignedNames: NameSet, captures: CaptureList?) {
    self.parent = parent
    self.assignedNames = assignedNames
    ownCaptures = captures
  }

  func allocateSlot() -> Int {
    slotCount += 1
    return slotCount - 1
  }

  func pushBlock() {
    if indexed != nil {
      indexed?.append([:])
    } else {
      blockStarts.append(locals.count)
    }
  }

  func popBlock() {
    if let blocks = indexed {
      if blocks.count > 1 { indexed?.removeLast() }
      return
    }
    guard let start = blockStarts.popLast(), start <= locals.count else { return }
    locals.removeSubrange(start...)
  }

  /// Binds `name` in the innermost block to a new slot.
  @discardableResult
  func declare(_ name: String, boxed: Bool? = nil) -> LocalVariable {
    let variable = LocalVariable(name: name, slot: allocateSlot(), boxed: boxed ?? assignedNames.contains(name))
    bind(NameKey(name), variable, outermost: false)
    return variable
  }

  private func bind(_ key: NameKey, _ variable: LocalVariable, outermost: Bool) {
    if indexed == nil && locals.count >= FunctionContext.linearLimit { index() }
    if var blocks = indexed {
      indexed = nil
      blocks[outermost ? 0 : blocks.count - 1][key] = variable
      indexed = blocks
    } else if outermost {
      // Into the function's own block, so it outlives the blocks open now.
      locals.insert(ScopedLocal(key: key, variable: variable), at: min(blockStarts.first ?? locals.count, locals.count))
      for index in blockStarts.indices { blockStarts[index] += 1 }
    } else {
      locals.append(ScopedLocal(key: key, variable: variable))
    }
  }

  /// Moves the locals into one dictionary per block (see `locals`).
  private func index() {
    var blocks: [[NameKey: LocalVariable]] = []
    var start = 0
    for end in blockStarts + [locals.count] {
      var block: [NameKey: LocalVariable] = [:]
      for position in start..<max(start, min(end, locals.count)) {
        block[locals[position].key] = locals[position].variable
      }
      blocks.append(block)
      start = max(start, end)
    }
    indexed = blocks
    locals = []
    blockStarts = []
  }

  /// A local of this function only (never creates a capture).
  func lookupWithoutCapture(_ name: String) -> LocalVariable? {
    find(NameKey(name))
  }

  private func find(_ key: NameKey) -> LocalVariable? {
    if let blocks = indexed {
      for block in blocks.reversed() {
        if let found = block[key] { return found }
      }
      return nil
    }
    var index = locals.count
    while index > 0 {
      index -= 1
      if locals[index].key == key { return locals[index].variable }
    }
    return nil
  }

  /// Finds a local, capturing it from enclosing functions when needed.
  func lookup(_ name: String) -> LocalVariable? { lookup(name, key: NameKey(name)) }

  private func lookup(_ name: String, key: NameKey) -> LocalVariable? {
    if let found = find(key) { return found }
    guard let parent, let outer = parent.lookup(name, key: key) else { return nil }
    let slot = allocateSlot()
    captureMap.append(CaptureSlot(index: captures.index(of: outer.slot), slot: slot))
    let captured = LocalVariable(name: name, slot: slot, boxed: outer.boxed)
    bind(key, captured, outermost: true)
    return captured
  }
}

/// Collects the names that `set!` assigns anywhere inside a form (quoted data excluded).
/// User macro calls are expanded for the scan (`expand`), so a `set!` a macro writes counts too;
/// core macros never write `set!` on the caller's locals, but the threading ones (`->`, `->>`)
/// build calls the source does not spell (`(-> n incr!)` is `(incr! n)`), so they are expanded too.
enum AssignmentScan {
  /// False when a form's source text cannot give the scan anything to find: it never spells
  /// `set!`, and has no qualified symbol (`m:f`, possibly another module's macro). Unqualified
  /// user macros are the analyzer's to rule out (`Analyzer.analyzeTopLevel`). The scan walked
  /// every definition of every reload (about 7 % of a full reload's instructions, one retain and
  /// one release per form it visited) to find, almost always, nothing; this reads the bytes once.
  static func mayFindAssignments(inSource text: String, _ range: Range<Int>) -> Bool {
    let answer = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
      guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return true }
      var index = range.lowerBound
      while index < range.upperBound {
        let byte = bytes[index]
        if byte == UInt8(ascii: "!"), index - range.lowerBound >= 3, bytes[index - 3] == UInt8(ascii: "s"),
          bytes[index - 2] == UInt8(ascii: "e"), bytes[index - 1] == UInt8(ascii: "t")
        {
          return true
        }
        // A colon inside a token is a qualified symbol (`m:f`); keywords (`:k`) start a token.
        // The reader's own delimiters decide: `#` is not one, so `k#:f` names module `k#`.
        // Colons in strings and comments only cost the scan.
        if byte == UInt8(ascii: ":"), index > range.lowerBound, !Reader.endsToken(bytes[index - 1]) { return true }
        index += 1
      }
      return false
    }
    return answer ?? true
  }

  static func names(in form: Syntax, expand: (Syntax) -> Syntax? = { _ in nil }) -> NameSet {
    var found: NameSet = []
    var budget = 10_000
    scan(form, into: &found, depth: 0, budget: &budget, expand: expand)
    return found
  }

  private static func scan(
    _ form: Syntax, into found: inout NameSet, depth: Int, budget: inout Int, expand: (Syntax) -> Syntax?
  ) {
    guard depth < 2000, budget > 0 else { return }
    switch form.kind {
    case .list(let items):
      if let head = items.first?.symbolName {
        if head == "quote" { return }
        if head == "set!", items.count > 1, let target = items[1].symbolName { found.insert(target) }
      }
      if let expanded = expand(form) {
        budget -= 1
        scan(expanded, into: &found, depth: depth + 1, budget: &budget, expand: expand)
        return
      }
      for item in items { scan(item, into: &found, depth: depth + 1, budget: &budget, expand: expand) }
    case .vector(let items), .map(let items), .set(let items):
      for item in items { scan(item, into: &found, depth: depth + 1, budget: &budget, expand: expand) }
    default:
      return
    }
  }
}
