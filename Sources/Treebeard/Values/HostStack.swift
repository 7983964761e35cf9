// Guards against host stack exhaustion in code that recurses over values: freeing and comparing.

import Foundation
import OxurSyntax

/// Per-thread bookkeeping for `Reclaimer` and value comparison.
final class HostThreadState {
  /// Nested `Reclaimer.release` calls running on this thread.
  @exclusivity(unchecked) var releaseDepth = 0
  /// Contents parked by releases that were nested too deeply, freed by the outermost one.
  @exclusivity(unchecked) var parked: [Any] = []
  /// Why a comparison gave up (stack ran low, interrupted); thrown by `Value.checkedEqual`.
  @exclusivity(unchecked) var equalityStop: Error?
  /// Nested `Value.checkedEqual` calls running on this thread.
  @exclusivity(unchecked) var equalityDepth = 0
  /// Container comparisons made by the running `checkedEqual`.
  @exclusivity(unchecked) var equalitySteps = 0
  /// The machine whose interrupt flag the running `checkedEqual` watches.
  @exclusivity(unchecked) var equalityMachine: Machine?
  /// Pairs of objects the running `checkedEqual` already found equal.
  @exclusivity(unchecked) var equalKnown: Set<IdentityPair> = []
  /// The macro call whose expansions were converted last, for `SyntaxConversion`'s growth limit.
  @exclusivity(unchecked) var expansionOrigin: Span?
  /// Forms in that call's last expansion, and in its chain of ever larger expansions.
  @exclusivity(unchecked) var expansionLastForms = 0
  @exclusivity(unchecked) var expansionChainForms = 0

  /// nil when the process has run out of thread-specific slots (a host that made 1,024 of its
  /// own): a slot number never handed out must not be written, so state then lives in
  /// Foundation's per-thread dictionary, slower but still per thread.
  private static let key: pthread_key_t? = {
    var key = pthread_key_t()
    let created = pthread_key_create(&key) { pointer in
      #if os(Linux)
        guard let pointer else { return }
      #endif
      Unmanaged<HostThreadState>.fromOpaque(pointer).release()
    }
    return created == 0 ? key : nil
  }()

  @inline(__always) static var current: HostThreadState {
    guard let key else { return fromThreadDictionary() }
    if let pointer = pthread_getspecific(key) {
      return Unmanaged<HostThreadState>.fromOpaque(pointer).takeUnretainedValue()
    }
    let created = HostThreadState()
    pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
    return created
  }

  @inline(never) static func fromThreadDictionary() -> HostThreadState {
    let dictionary = Thread.current.threadDictionary
    if let state = dictionary[dictionaryKey] as? HostThreadState { return state }
    let created = HostThreadState()
    dictionary[dictionaryKey] = created
    return created
  }

  private static let dictionaryKey = "org.oxur.treebeard.host-thread-state"
}

/// Two heap objects compared for equality, in order.
struct IdentityPair: Hashable {
  let left: ObjectIdentifier
  let right: ObjectIdentifier
  init(_ left: ObjectIdentifier, _ right: ObjectIdentifier) {
    self.left = left
    self.right = right
  }
}

/// Freeing a value frees what it holds, recursively: a vector nested a million deep (built by a
/// loop, never by the reader) would take a million nested deinits and overflow the stack of
/// whichever thread drops it — often an embedder's worker thread with a small stack. Every
/// container's deinit hands its contents to `Reclaimer.release`. Only a few releases may nest on
/// one thread (`nestingLimit`); deeper ones park their contents on the thread's worklist, and the
/// outermost release frees the worklist in a loop. So freeing runs in constant host stack and in
/// time linear in the number of objects freed, whatever the shape of the value.
enum Reclaimer {
  /// Nested container releases allowed before parking. Each costs a few host frames (about 2 KiB
  /// in a debug build), so 4 keeps freeing well inside even a 64 KiB thread stack.
  static let nestingLimit = 4

  /// Values whose release can recurse into more containers.
  @inline(__always) static func mayNest(_ value: Value) -> Bool {
    switch value {
    case .list(let node): return node != nil
    case .vector, .map, .set, .closure, .atom, .structInstance, .variant: return true
    default: return false
    }
  }

  /// Replaces `slot` with `empty`, releasing the old contents here or parking them when too deep.
  static func release<T>(_ slot: inout T, empty: T) {
    let state = HostThreadState.current
    if state.releaseDepth >= nestingLimit {
      state.parked.append(slot)
      slot = empty
      return
    }
    state.releaseDepth += 1
    // Moved out and destroyed inside a call the optimizer cannot inline: a plain `slot = empty`
    // let the release of the old contents sink below `releaseDepth -= 1` in release builds, so
    // nested frees never saw the depth and recursed until the host stack overflowed.
    destroy(exchange(&slot, with: empty))
    state.releaseDepth -= 1
    if state.releaseDepth == 0 && !state.parked.isEmpty { drain(state) }
  }

  /// Ends `value`'s lifetime here, at this call, not wherever the optimizer would move it.
  @inline(never) private static func destroy<T>(_ value: consuming T) { _ = consume value }

  /// Frees parked contents one at a time (last in, first out, so the worklist stays as short as
  /// the value is wide, not as deep). Each may park more; the loop runs until none is left.
  private static func drain(_ state: HostThreadState) {
    state.releaseDepth = 1
    // Each item is dropped here, at depth 1: its nested releases park again instead of recursing.
    while !state.parked.isEmpty { destroy(state.parked.removeLast()) }
    state.releaseDepth = 0
  }
}

/// How much host stack the current thread has left, for code that recurses over values.
enum StackGuard {
  /// Room kept free below any recursion over values.
  static let margin: UInt = 256 << 10

  /// True when less than `margin` bytes of stack remain on this thread (the reader's check).
  @inline(__always) static func isLow() -> Bool { ThreadStack.isLow(margin: margin) }
}
