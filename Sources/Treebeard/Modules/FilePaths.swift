// Module file paths made absolute and standard by their text alone.

enum FilePaths {
  /// `path`, made absolute against `base` when relative, without `.`, `..` and empty components:
  /// what `URL.standardizedFileURL.path` gives for a file path (it resolves no symbolic links
  /// either). Computed on the text: URL's path handling builds a `Set<UInt8>`, and the first set
  /// of that type scans every protocol conformance in the executable (6 % of start-up).
  static func standardized(_ path: String, relativeTo base: String) -> String {
    let joined = path.hasPrefix("/") ? path : base + "/" + path
    var parts: [Substring] = []
    for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if !parts.isEmpty { parts.removeLast() }
        continue
      }
      parts.append(part)
    }
    // Appended one by one: `joined(separator:)` over substrings ran unspecialised (300,000
    // instructions for one path).
    guard !parts.isEmpty else { return "/" }
    var result = ""
    for part in parts {
      result += "/"
      result += part
    }
    return result
  }

  /// The last component without its extension (`/a/b/geometry.oxur` is `geometry`), as
  /// `URL.deletingPathExtension().lastPathComponent` gives it for a file path.
  static func baseName(_ path: String) -> String {
    let last = path.split(separator: "/", omittingEmptySubsequences: true).last ?? ""
    guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return String(last) }
    return String(last[..<dot])
  }
}
