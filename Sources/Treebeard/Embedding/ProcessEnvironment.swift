// Environment variables read one at a time, without building the whole environment dictionary.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public enum ProcessEnvironment {
  /// What `ProcessInfo.processInfo.environment[name]` gives, without first copying every
  /// variable of the process into a dictionary: that copy was an eighth of the executable's
  /// start-up instructions, to read three variables.
  public static func value(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
  }
}
