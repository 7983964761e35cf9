// Starts a detached thread with a large stack, reporting failure instead of trapping.

import Foundation

enum ProcessThread {
  /// Runs `work` on a new detached thread with `LargeStack.size` of stack; false when the
  /// system refuses a thread (Foundation's `Thread` would trap there).
  static func start(_ work: @escaping @Sendable () -> Void) -> Bool {
    var attributes = pthread_attr_t()
    guard pthread_attr_init(&attributes) == 0 else { return false }
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, LargeStack.size)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(WorkBox(work))
    var thread = pthread_t()
    let status = pthread_create(
      &thread, &attributes,
      { context in
        guard let context else { return nil }
        Unmanaged<WorkBox>.fromOpaque(context).takeRetainedValue().work()
        return nil
      }, box.toOpaque())
    if status != 0 {
      box.release()
      return false
    }
    return true
  }

  private final class WorkBox: Sendable {
    let work: @Sendable () -> Void
    init(_ work: @escaping @Sendable () -> Void) { self.work = work }
  }
}
