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
  /// thread) and kept in a thread-specific slot.
  public static var lowAddress: UInt {
    if let cached = pthread_getspecific(key) {
      let value = UInt(bitPattern: cached)
      return value == unknown ? 0 : value
    }
    let found = findLowAddress()
    pthread_setspecific(key, UnsafeRawPointer(bitPattern: found == 0 ? unknown : found))
    return found
  }

  /// True when fewer than `margin` bytes of stack remain below the caller; false when the
  /// thread's stack bounds are unknown.
  @inline(__always) public static func isLow(margin: UInt) -> Bool {
    let low = lowAddress
    guard low != 0 else { return false }
    var marker = 0
    let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    return here < low &+ margin
  }

  /// Stored for a thread whose bounds could not be found (a slot cannot hold 0).
  private static let unknown: UInt = 1

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  private static func findLowAddress() -> UInt {
    #if os(Linux)
      var attributes = pthread_attr_t()
      guard let getattr, getattr(pthread_self(), &attributes) == 0 else { return 0 }
      defer { pthread_attr_destroy(&attributes) }
      var address: UnsafeMutableRawPointer? = nil
      var size = 0
      guard pthread_attr_getstack(&attributes, &address, &size) == 0, let address else { return 0 }
      return UInt(bitPattern: address)
    #elseif canImport(Darwin)
      let high = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
      return high - UInt(pthread_get_stacksize_np(pthread_self()))
    #else
      return 0
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
