// Writing a whole file as `spit` does: a plain file replaced atomically, keeping its mode; anything else written in place.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A plain file is replaced by renaming a finished copy over it, so a watcher (or a reader on
/// another thread) never sees it half written. Foundation's atomic write did that for every
/// path, which replaced what the path named instead of writing to it: a symbolic link became
/// a file (its target kept the old text), a second hard link kept the old text, a FIFO or a
/// device node became a plain file (as root, `/dev/full`), and a 600 or 755 file became 644.
/// So links are followed, the copy takes the file's mode and owner, and whatever is not a
/// plain file with one name is opened and written in place, as a shell's `>` would.
enum FileReplacement {
  /// Writes `data` to `path`; nil when done, else why not (the system's reason). `stop` is
  /// asked while a FIFO waits for a reader, so Ctrl-C ends the wait.
  static func write(_ data: Data, to path: String, stop: () -> Bool = { false }) -> String? {
    let target = resolvedPath(path)
    var status = stat()
    guard stat(target, &status) == 0 else {
      guard errno == ENOENT else { return reason() }
      return replaceAtomically(target, data, mode: nil)
    }
    let isPlainFile = (status.st_mode & S_IFMT) == S_IFREG
    if isPlainFile && status.st_nlink <= 1 { return replaceAtomically(target, data, mode: status) }
    if (status.st_mode & S_IFMT) == S_IFDIR { return "it is a directory" }
    return writeInPlace(target, data, isFIFO: (status.st_mode & S_IFMT) == S_IFIFO, stop: stop)
  }

  /// The file a path names after its links. A link to nothing yet names the file it points
  /// to, which is created there, as `>` would (renamed over, the link itself was replaced).
  private static func resolvedPath(_ path: String) -> String {
    if let resolved = realpath(path, nil) {
      defer { free(resolved) }
      return String(cString: resolved)
    }
    var current = path
    // As the kernel does, at most 40 links in a row.
    for _ in 0..<40 {
      var status = stat()
      guard lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let count = readlink(current, &buffer, buffer.count - 1)
      guard count > 0 else { return current }
      let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current =
        target.hasPrefix("/")
        ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
    }
    return current
  }

  private static func reason() -> String { String(cString: strerror(errno)) }

  /// A copy beside the file, renamed over it when complete. A new file gets the mode a plain
  /// `open` would give it (0666 less the umask); an existing one keeps its mode and, where the
  /// system allows, its owner.
  private static func replaceAtomically(_ target: String, _ data: Data, mode existing: stat?) -> String? {
    let directory = (target as NSString).deletingLastPathComponent
    let base = (target as NSString).lastPathComponent
    var descriptor: Int32 = -1
    var temporary = ""
    for _ in 0..<16 {
      let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
      temporary = (directory.isEmpty ? "" : directory + "/") + ".\(base).spit-\(suffix)"
      descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else { return reason() }
    var failure: String? = nil
    if let existing {
      // The owner first: a change of owner clears the set-user-ID and set-group-ID bits, which
      // the mode then puts back. Only root may give a file away; anyone else stays its owner.
      _ = fchown(descriptor, existing.st_uid, existing.st_gid)
      if fchmod(descriptor, existing.st_mode & 0o7777) != 0 { failure = reason() }
    }
    if failure == nil { failure = writeAll(descriptor, data) }
    if close(descriptor) != 0 && failure == nil { failure = reason() }
    if failure == nil && rename(temporary, target) != 0 { failure = reason() }
    if failure != nil { unlink(temporary) }
    return failure
  }

  /// Truncates and writes the file itself: a device, a FIFO (once a reader opens it), or a file
  /// with several names, which all see the new text.
  private static func writeInPlace(_ target: String, _ data: Data, isFIFO: Bool, stop: () -> Bool) -> String? {
    var descriptor: Int32
    if isFIFO {
      // Opening a FIFO for writing waits for a reader; without O_NONBLOCK that wait could not
      // be interrupted.
      while true {
        descriptor = open(target, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if descriptor >= 0 || errno != ENXIO { break }
        if stop() { return "interrupted while waiting for a reader" }
        usleep(10_000)
      }
      if descriptor >= 0 {
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
      }
    } else {
      descriptor = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
    }
    guard descriptor >= 0 else { return reason() }
    var failure = writeAll(descriptor, data)
    if close(descriptor) != 0 && failure == nil { failure = reason() }
    return failure
  }

  private static func writeAll(_ descriptor: Int32, _ data: Data) -> String? {
    data.withUnsafeBytes { buffer -> String? in
      guard let base = buffer.baseAddress else { return nil }
      var offset = 0
      while offset < buffer.count {
        let count = Foundation.write(descriptor, base + offset, buffer.count - offset)
        if count < 0 {
          if errno == EINTR { continue }
          return reason()
        }
        if count == 0 { return "nothing was written" }
        offset += count
      }
      return nil
    }
  }
}
