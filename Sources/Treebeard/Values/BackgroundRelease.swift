// Frees large collections of plain data on a background thread, so dropping one never stalls the evaluator.

import Dispatch
import Synchronization

/// Dropping a map of 200,000 strings was 16 % of the hashmap benchmark's time: every key object
/// is touched once more, in hash order, so nearly every touch misses the cache. When such a
/// collection holds only plain data (numbers, strings, keywords, symbols, …), freeing it runs no
/// Oxur-visible code and touches nothing another thread can see, so it can happen on a
/// background thread while the evaluator goes on. Values whose freeing runs code or touches
/// shared state (closures, atoms, structs and enums with live-instance tracking, host objects,
/// nested collections) keep the collection on the dropping thread, as does anything small.
///
/// Nodes shared with collections that stay alive are only released (an atomic decrement), never
/// read, by the background thread; nodes it frees are no longer reachable from anywhere else.
enum BackgroundRelease {
  /// Collections with fewer elements are freed where they are dropped: the hand-off costs more.
  static let threshold = 4096
  /// At most this many hand-offs wait or run; past it a drop frees in place, so a program that
  /// drops big collections faster than they can be freed cannot pile up memory.
  static let limit = 2
  private static let inFlight = InFlightLimit(limit)

  private static let queue = DispatchQueue(label: "treebeard.background-release", qos: .utility)
  /// Hand-offs completed since the process started (for tests).
  private static let completed = Atomic<Int>(0)

  static var completedCount: Int { completed.load(ordering: .acquiring) }

  /// Moves `storage` to the background thread to be freed there, leaving it empty; false, and
  /// `storage` untouched, when it is small, holds anything but plain data, or too many are in flight.
  static func take(_ storage: inout ValueHashMap) -> Bool {
    guard storage.count >= threshold, storage.holdsOnlyPlainData else { return false }
    return hand(&storage, replacingWith: ValueHashMap())
  }

  /// Moves `contents`, which the caller found large and plain (see `take`), to the background
  /// thread, leaving `empty` in its place; false, and `contents` untouched, when too many
  /// hand-offs are in flight.
  static func hand<Contents>(_ contents: inout Contents, replacingWith empty: Contents) -> Bool {
    guard inFlight.reserve() else { return false }
    let box = ReleaseBox(contents)
    contents = empty
    queue.async {
      box.contents = nil
      finish()
    }
    return true
  }

  /// `take` for a set's elements.
  static func take(_ storage: inout ValueHashSet) -> Bool { take(&storage.members) }

  /// Waits until every hand-off made so far has been freed (for tests).
  static func waitForPendingReleases() { queue.sync {} }

  private static func finish() {
    inFlight.finish()
    completed.add(1, ordering: .releasing)
  }
}

/// Carries a collection to the background queue, where it is dropped and so freed.
private final class ReleaseBox<Contents>: @unchecked Sendable {
  var contents: Contents?
  init(_ contents: Contents) { self.contents = contents }
}

extension Value {
  /// Values whose freeing runs no code beyond releasing memory: no deinit with effects, no
  /// nested containers.
  @inline(__always) var isPlainData: Bool {
    switch self {
    case .nil, .bool, .int, .float, .char, .string, .keyword, .symbol: return true
    default: return false
    }
  }
}
