// A bounded count of hand-offs to background threads: reserve a place or be refused.

import Synchronization

/// How many hand-offs (`BackgroundRelease`, `RetiredVersions`) may wait or run at once. Past
/// the limit the caller does the work itself, so producing work faster than the background
/// thread finishes it cannot pile up memory.
final class InFlightLimit: Sendable {
  let limit: Int
  private let count = Atomic<Int>(0)

  init(_ limit: Int) { self.limit = limit }

  /// Takes a place; false when `limit` are taken.
  func reserve() -> Bool {
    var current = count.load(ordering: .relaxed)
    while current < limit {
      let (exchanged, original) = count.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { return true }
      current = original
    }
    return false
  }

  /// Gives a place back once its work is done.
  func finish() { count.subtract(1, ordering: .releasing) }
}
