// How much host stack the current thread has left, for code that recurses over input.

import Foundation

/// Recursion over text or values that a user controls must stop before the host stack runs
/// out: a thread's stack may be 1 GiB (the evaluator's), 8 MiB (a main thread) or 512 KiB (a
/// Dispatch worker), and a debug build's frames are several times a release build's. Counting
/// levels alone cannot be right for all of them, so deep recursions also ask how far the
/// stack pointer is from the thread's lowest usable address.
public enum ThreadStack {
  /// The current thread's lowest usable stack address; 0 when the platform does not say.
  /// Found once per thread (on Linux `pthread_getattr_np` reads /proc/self/maps for the main
  /// thread) and kept in thread-specific slots.
  public static var lowAddress: UInt { bounds.low }

  /// The current thread's stack as (lowest usable address, highest address); (0, 0) unknown.
  static var bounds: (low: UInt, high: UInt) {
    guard let keys else { return (0, 0) }
    if let cachedLow = pthread_getspecific(keys.low) {
      let low = UInt(bitPattern: cachedLow)
      guard low != unknown, let cachedHigh = pthread_getspecific(keys.high) else { return (0, 0) }
      return (low, UInt(bitPattern: cachedHigh))
    }
    let found = findBounds()
    if found.low == 0 || found.high <= found.low {
      pthread_setspecific(keys.low, UnsafeRawPointer(bitPattern: unknown))
      return (0, 0)
    }
    pthread_setspecific(keys.high, UnsafeRawPointer(bitPattern: found.high))
    pthread_setspecific(keys.low, UnsafeRawPointer(bitPattern: found.low))
    return found
  }

  /// True when fewer than `margin` bytes of stack remain below the caller; false when the
  /// thread's stack bounds are unknown, or the caller runs on another stack than the thread's
  /// own (a coroutine's, a signal stack): nothing is known about that one.
  @inline(__always) public static func isLow(margin: UInt) -> Bool {
    let (low, high) = bounds
    guard low != 0 else { return false }
    var marker = 0
    let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    guard here >= low && here < high else { return false }
    return here < low &+ margin
  }

  /// Stored for a thread whose bounds could not be found (a slot cannot hold 0).
  private static let unknown: UInt = 1

  /// Two thread-specific slots, nil when they could not be made (then bounds are unknown:
  /// a slot number never handed out must not be written).
  private static let keys: (low: pthread_key_t, high: pthread_key_t)? = {
    var low = pthread_key_t()
    var high = pthread_key_t()
    guard pthread_key_create(&low, nil) == 0 else { return nil }
    guard pthread_key_create(&high, nil) == 0 else {
      pthread_key_delete(low)
      return nil
    }
    return (low, high)
  }()

  private static func findBounds() -> (low: UInt, high: UInt) {
    #if os(Linux)
      var attributes = pthread_attr_t()
      guard let getattr, getattr(pthread_self(), &attributes) == 0 else { return (0, 0) }
      defer { pthread_attr_destroy(&attributes) }
      var address: UnsafeMutableRawPointer? = nil
      var size = 0
      guard pthread_attr_getstack(&attributes, &address, &size) == 0, let address, size > 0 else { return (0, 0) }
      let low = UInt(bitPattern: address)
      return (low, low &+ UInt(size))
    #elseif canImport(Darwin)
      let high = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
      let size = UInt(pthread_get_stacksize_np(pthread_self()))
      return size < high ? (high &- size, high) : (0, 0)
    #else
      return (0, 0)
    #endif
  }

  #if os(Linux)
    /// `pthread_getattr_np` is a GNU extension the Glibc module does not import.
    private typealias GetAttr = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
    private static let getattr: GetAttr? = {
      guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pthread_getattr_np") else { return nil }
      return unsafeBitCast(symbol, to: GetAttr.self)
    }()
  #endif
}
