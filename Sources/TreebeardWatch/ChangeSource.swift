// The interface every file-change backend offers the watcher, how a backend is chosen, and how a directory is known.

import Foundation
import Treebeard

#if canImport(Glibc)
  import Glibc
#endif

/// Reports paths in watched directories that may have changed. Used from the watcher's thread
/// only (created on another, then handed over), so implementations need no locking.
public protocol ChangeSource: AnyObject {
  /// Watches `directory`; with `recursive`, every directory under it too (new ones included).
  func add(directory: String, recursive: Bool)
  /// Waits up to `timeout` seconds for changes; returns the paths that changed (created,
  /// written, renamed over, deleted), or none when the time passed quietly.
  func waitForChanges(timeout: TimeInterval) -> Set<String>
  /// Releases what the source holds (descriptors); called once, on the watcher's thread.
  func close()
}

/// Which backend a watcher uses. Both report the same paths, so tests run each.
public enum WatchBackend: String, Sendable, CaseIterable {
  /// Linux inotify: changes arrive as they happen.
  case inotify
  /// Scans the watched directories' file metadata a few times a second: works on any file
  /// system (network mounts, containers without inotify), at some latency and CPU.
  case poll

  /// The environment variable that picks a backend when no flag does.
  public static let environmentVariable = "TREEBEARD_WATCH_BACKEND"

  /// The backend named by `TREEBEARD_WATCH_BACKEND`, else inotify.
  public static var fromEnvironment: WatchBackend {
    ProcessEnvironment.value(environmentVariable).flatMap(WatchBackend.init(rawValue:)) ?? .inotify
  }

  /// A new source of this kind; inotify falls back to polling when the kernel refuses it.
  func makeSource() -> ChangeSource {
    switch self {
    case .inotify: return InotifySource() ?? PollingSource()
    case .poll: return PollingSource()
    }
  }
}

/// How a watcher behaves.
public struct WatchOptions: Sendable {
  public var backend: WatchBackend
  /// Quiet time after the last change before reloading: a burst of saves becomes one reload.
  public var debounce: TimeInterval

  public init(backend: WatchBackend = .fromEnvironment, debounce: TimeInterval = 0.02) {
    self.backend = backend
    self.debounce = debounce
  }
}

/// A directory by device and inode, however it is reached (a symbolic link, a rename): how
/// both backends tell a directory they walked already.
struct DirectoryIdentity: Hashable {
  let device: UInt64
  let inode: UInt64

  /// The directory at `path`; nil when nothing, or no directory, stands there.
  init?(_ path: String) {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
    (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
  }

  init(_ info: stat) { (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino)) }
}
