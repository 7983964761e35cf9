// The content hash that tells whether a module file changed.

import Foundation

/// A short, stable content hash (FNV-1a 64) for change detection and `(modules)`.
public enum ContentHash {
  public static func of(_ data: Data) -> String {
    var hash = FNV1a.offsetBasis
    data.withUnsafeBytes { bytes in
      for byte in bytes {
        hash = FNV1a.adding(UInt64(byte), to: hash)
      }
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
  }
}
