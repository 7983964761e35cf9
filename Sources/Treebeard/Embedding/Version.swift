// The release this build of Treebeard is, as `treebeard --version` and embedders report it.

/// Treebeard's version. Bumped with each release of the language runtime.
public enum TreebeardVersion {
  public static let string = "0.5.0"
}
