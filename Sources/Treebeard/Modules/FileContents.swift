// Reading a whole file, including files whose size the system does not report in advance.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

enum FileContents {
  /// The file's bytes, read until end of file; nil when it cannot be opened or read.
  ///
  /// `FileManager.contents(atPath:)` trusts the size `stat` reports: a file under /proc says 0
  /// and gave one page (`(slurp "/proc/self/smaps")` lost all but its first 4 KiB), and a
  /// named pipe gave whatever the first read returned.
  static func whole(_ path: String) -> Data? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var result = Data()
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = chunk.withUnsafeMutableBytes { buffer in
        read(descriptor, buffer.baseAddress, buffer.count)
      }
      if count > 0 {
        result.append(contentsOf: chunk[0..<count])
      } else if count == 0 {
        return result
      } else if errno != EINTR {
        return nil
      }
    }
  }
}
