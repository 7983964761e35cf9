// The polling ChangeSource: compares file metadata (inode, size, mtime) between scans.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Scans every watched directory each `interval`. A file is changed when its inode (a
/// rename-save), size or modification time differ from the last scan, or it appeared or went.
final class PollingSource: ChangeSource {
  private struct Stamp: Equatable {
    let inode: UInt64
    let size: Int64
    let seconds: Int
    let nanoseconds: Int
  }

  private var roots: [(path: String, recursive: Bool)] = []
  private var stamps: [String: Stamp] = [:]
  private let interval: TimeInterval

  init(interval: TimeInterval = 0.02) { self.interval = interval }

  func add(directory: String, recursive: Bool) {
    if roots.contains(where: { $0.path == directory && $0.recursive == recursive }) { return }
    roots.append((directory, recursive))
    stamps.merge(scan(directory, recursive: recursive)) { _, new in new }
  }

  func waitForChanges(timeout: TimeInterval) -> Set<String> {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      var now: [String: Stamp] = [:]
      for root in roots { now.merge(scan(root.path, recursive: root.recursive)) { _, new in new } }
      var changed: Set<String> = []
      for (path, stamp) in now where stamps[path] != stamp { changed.insert(path) }
      for path in stamps.keys where now[path] == nil { changed.insert(path) }
      stamps = now
      if !changed.isEmpty { return changed }
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { return [] }
      Thread.sleep(forTimeInterval: min(interval, left))
    }
  }

  func close() {}

  /// The stamps of the regular files in `directory` (and below it, with `recursive`). Each
  /// directory is scanned once: a symbolic link back up the tree (`d/self -> .`) went round
  /// the cycle until paths grew too long, and two such links took 2^40 paths.
  private func scan(_ directory: String, recursive: Bool) -> [String: Stamp] {
    var visited = Set(DirectoryIdentity(directory).map { [$0] } ?? [])
    return scan(directory, recursive: recursive, visited: &visited)
  }

  private func scan(_ directory: String, recursive: Bool, visited: inout Set<DirectoryIdentity>) -> [String: Stamp] {
    var result: [String: Stamp] = [:]
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return result }
    for name in names {
      let path = directory + "/" + name
      var info = stat()
      guard stat(path, &info) == 0 else { continue }
      if (info.st_mode & S_IFMT) == S_IFDIR {
        if recursive, visited.insert(DirectoryIdentity(info)).inserted {
          result.merge(scan(path, recursive: true, visited: &visited)) { _, new in new }
        }
      } else {
        result[path] = Stamp(
          inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int(info.st_mtim.tv_sec),
          nanoseconds: Int(info.st_mtim.tv_nsec))
      }
    }
    return result
  }
}
