// Linux inotify as a ChangeSource: one watch per directory, events read from one descriptor.

import Foundation

#if canImport(Glibc)
  import Glibc

  /// Watches directories (not files): an editor that saves by writing a temporary file and
  /// renaming it over the original replaces the file's inode, which a watch on the file would
  /// lose; the directory sees the rename as `IN_MOVED_TO` with the original's name.
  final class InotifySource: ChangeSource {
    private let descriptor: Int32
    /// Watch descriptor → directory, and whether directories made under it get watched too.
    private var directories: [Int32: (path: String, recursive: Bool)] = [:]
    /// Watched directories that were deleted or moved away (a `git checkout`, `rsync
    /// --delete`, a tool replacing the tree): looked for again every `lostRetry`, and watched
    /// again when a directory stands at the path; every file in it then counts as changed.
    /// The kernel drops a watch with its directory, so saves into a re-made one were missed.
    private var lost: [(path: String, recursive: Bool)] = []
    private static let lostRetry: TimeInterval = 0.05
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private static let fileEvents = UInt32(
      IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVE_SELF)

    init?() {
      let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
      if descriptor < 0 { return nil }
      self.descriptor = descriptor
    }

    func add(directory: String, recursive: Bool) {
      let watch = inotify_add_watch(descriptor, directory, InotifySource.fileEvents)
      if watch < 0 { return }  // gone or unreadable: nothing there can be a loaded module
      // inotify answers the same descriptor for a directory however it is reached: a symbolic
      // link back up the tree (`d/self -> .`) is a directory watched already. Walking it
      // again went round the cycle (two such links: 2^40 paths, a core busy for ever) and
      // re-keyed the watch under the longest path, which no loaded module's path matched.
      if let known = directories[watch], known.path != directory,
        DirectoryIdentity(known.path) != DirectoryIdentity(directory)
      {
        // Renamed (`mv src/a src/b` inside the tree): the watch and those below it follow the
        // new name. Kept under the old one, saves in the renamed directory went unseen.
        rename(from: known.path, to: directory)
      }
      if let known = directories[watch], known.recursive || !recursive { return }
      directories[watch] = (directories[watch]?.path ?? directory, recursive)
      guard recursive, let children = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
      for child in children where DirectoryIdentity(directory + "/" + child) != nil {
        add(directory: directory + "/" + child, recursive: true)
      }
    }

    func waitForChanges(timeout: TimeInterval) -> Set<String> {
      var changed = watchFoundAgain()
      if !changed.isEmpty { return changed }
      var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
      let wait = lost.isEmpty ? timeout : min(timeout, InotifySource.lostRetry)
      let milliseconds = Int32(max(0, min(wait, 3600)) * 1000)
      guard poll(&request, 1, milliseconds) > 0 else { return watchFoundAgain() }
      while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        var offset = 0
        let headerSize = MemoryLayout<inotify_event>.size
        while offset + headerSize <= count {
          let (watch, mask, length) = buffer.withUnsafeBytes { bytes -> (Int32, UInt32, Int) in
            let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
            return (event.wd, event.mask, Int(event.len))
          }
          let nameStart = offset + headerSize
          offset = nameStart + length
          if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were dropped: any file may have changed; the watcher's hashes sort it out.
            changed.formUnion(everyFile())
            continue
          }
          if mask & UInt32(IN_IGNORED | IN_MOVE_SELF) != 0, let directory = directories[watch] {
            // Moved within the tree, the parent's IN_MOVED_TO came first and renamed the watch:
            // it stands at its path. Otherwise the directory went (deleted, or moved away).
            if mask & UInt32(IN_MOVE_SELF) != 0 {
              if DirectoryIdentity(directory.path) != nil { continue }
              _ = inotify_rm_watch(descriptor, watch)
            }
            directories[watch] = nil
            // One below a watched directory comes back through its parent's IN_CREATE; only a
            // root (or one whose parent went too) is looked for.
            let parent = (directory.path as NSString).deletingLastPathComponent
            if !directories.values.contains(where: { $0.path == parent && $0.recursive }) { lost.append(directory) }
            continue
          }
          guard let directory = directories[watch], length > 0, offset <= count else { continue }
          let nameBytes = buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }
          let path = directory.path + "/" + String(decoding: nameBytes, as: UTF8.self)
          if mask & UInt32(IN_ISDIR) != 0 {
            // A directory made (or moved) into a watched tree is watched from now on.
            if directory.recursive, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
              add(directory: path, recursive: true)
            }
            continue
          }
          changed.insert(path)
        }
      }
      return changed
    }

    /// The watches at `old` and below it, moved to `new`.
    private func rename(from old: String, to new: String) {
      for (watch, directory) in directories where directory.path == old || directory.path.hasPrefix(old + "/") {
        directories[watch] = (new + directory.path.dropFirst(old.count), directory.recursive)
      }
    }

    /// Lost directories standing at their paths again, watched anew: every file in them, for
    /// the watcher's hashes to sort out.
    private func watchFoundAgain() -> Set<String> {
      guard !lost.isEmpty else { return [] }
      var found: Set<String> = []
      var stillLost: [(path: String, recursive: Bool)] = []
      for directory in lost {
        guard DirectoryIdentity(directory.path) != nil else {
          stillLost.append(directory)
          continue
        }
        let before = Set(directories.keys)
        add(directory: directory.path, recursive: directory.recursive)
        for watch in directories.keys where !before.contains(watch) {
          guard let path = directories[watch]?.path else { continue }
          for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            found.insert(path + "/" + name)
          }
        }
      }
      lost = stillLost
      return found
    }

    /// Every file in the watched directories.
    private func everyFile() -> [String] {
      directories.values.flatMap { directory in
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).map { directory.path + "/" + $0 }
      }
    }

    func close() { _ = Glibc.close(descriptor) }
  }
#else
  /// Without inotify the polling source serves.
  final class InotifySource: ChangeSource {
    init?() { return nil }
    func add(directory: String, recursive: Bool) {}
    func waitForChanges(timeout: TimeInterval) -> Set<String> { [] }
    func close() {}
  }
#endif
