// Frees module versions leaving the history on a background thread, under the evaluator lock.

import Dispatch

/// Once the history is full, every reload drops its oldest kept version: a thousand closures,
/// their code and their syntax-derived tables, cold in the cache — about 1 ms of a 1,000-function
/// reload on this machine, spent after the new code was already live. Freeing runs deinits that
/// touch state only the evaluating thread may touch (a closure's running-frame count, a struct
/// type's live instances), so it cannot simply run concurrently; it runs on a background thread
/// that takes the evaluator lock first, the same turn any other thread waits for. The reload
/// returns as soon as it has committed, and the memory goes back when the evaluator next hands
/// over (at once when it is idle; at a safe point after its quantum when it is busy).
///
/// At most two retirements wait or run; past that a version is freed where it was dropped,
/// so reloading faster than versions can be freed cannot pile up memory.
enum RetiredVersions {
  private static let inFlight = InFlightLimit(2)
  private static let queue = DispatchQueue(label: "treebeard.retired-versions", qos: .utility)

  /// Takes `versions` (the caller must hold no other reference) to be freed under `lock`;
  /// frees them here instead when too many retirements are pending.
  /// `limit` is the process's, or a test's own.
  static func release(_ versions: consuming [ModuleVersion], lock: EvaluatorLock, limit: InFlightLimit? = nil) {
    guard !versions.isEmpty else { return }
    let inFlight = limit ?? RetiredVersions.inFlight
    guard inFlight.reserve() else { return }
    let box = RetiredBox(versions)
    queue.async {
      lock.acquire()
      box.versions = []
      lock.release()
      inFlight.finish()
    }
  }

  /// Waits until every retirement handed over so far has been freed. Must not be called while
  /// holding the evaluator lock (the retirements wait for it).
  static func waitForPendingReleases() { queue.sync {} }
}

/// Carries retired versions to the background queue.
private final class RetiredBox: @unchecked Sendable {
  var versions: [ModuleVersion]
  init(_ versions: [ModuleVersion]) { self.versions = versions }
}
