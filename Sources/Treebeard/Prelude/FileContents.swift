// Reading a whole file, including files whose size the system does not report in advance.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

enum FileContents {
  /// A regular file, following symbolic links (false for a dangling link, a directory, a FIFO).
  static func isRegularFile(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
  }

  /// What `slurp` reads at most: a file without end (`/dev/zero`, a pipe whose writer never
  /// closes) would otherwise grow the text until the host runs out of memory.
  static let slurpLimit = 1 << 30

  enum Failure: Error, Equatable {
    /// With the system's reason.
    case cannotRead(String)
    case tooLarge
    case interrupted
  }

  /// The file's bytes, read until end of file.
  ///
  /// `FileManager.contents(atPath:)` trusts the size `stat` reports: a file under /proc says 0
  /// and gave one page (`(slurp "/proc/self/smaps")` lost all but its first 4 KiB), and a
  /// named pipe gave whatever the first read returned. `stop` is asked between reads and
  /// every 50 ms while a pipe has nothing to read: a pipe with no writer yet, or one whose
  /// writer is silent, blocked `open` or `read` and Ctrl-C could not end the wait.
  static func whole(_ path: String, limit: Int = slurpLimit, stop: () -> Bool = { false }) -> Result<Data, Failure> {
    // Non-blocking, so a FIFO opens before it has a writer; `poll` then waits for data or
    // for the end, as a blocking read would (Linux reports no hang-up to a reader until a
    // writer has come and gone). The flag belongs to this opening alone, not to a shared
    // descriptor: `/dev/stdin` opened here leaves the process's standard input as it was.
    var descriptor: Int32
    repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } while descriptor < 0 && errno == EINTR
    guard descriptor >= 0 else { return .failure(.cannotRead(String(cString: strerror(errno)))) }
    defer { close(descriptor) }
    var result = Data()
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      if stop() { return .failure(.interrupted) }
      var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
      let ready = poll(&waiting, 1, 50)
      if ready == 0 { continue }
      if ready < 0 {
        if errno == EINTR { continue }
        return .failure(.cannotRead(String(cString: strerror(errno))))
      }
      let count = chunk.withUnsafeMutableBytes { buffer in
        read(descriptor, buffer.baseAddress, buffer.count)
      }
      if count > 0 {
        guard result.count <= limit - count else { return .failure(.tooLarge) }
        result.append(contentsOf: chunk[0..<count])
      } else if count == 0 {
        return .success(result)
      } else if errno != EINTR && errno != EAGAIN {
        return .failure(.cannotRead(String(cString: strerror(errno))))
      }
    }
  }
}
