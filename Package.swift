// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "Treebeard",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "OxurSyntax", targets: ["OxurSyntax"]),
    .library(name: "Treebeard", targets: ["Treebeard"]),
    .library(name: "TreebeardWatch", targets: ["TreebeardWatch"]),
    .executable(name: "treebeard", targets: ["treebeard"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
  ],
  targets: [
    .target(name: "OxurSyntax"),
    .target(name: "CRuntimeShims"),
    .target(name: "CAllocatorSettings"),
    .target(
      name: "Treebeard",
      dependencies: [
        "OxurSyntax", "CRuntimeShims",
      ],
      swiftSettings: []
    ),
    .target(name: "TreebeardWatch", dependencies: ["Treebeard"]),
    .target(name: "TreebeardREPL", dependencies: ["Treebeard", "TreebeardWatch"]),
    .target(
      name: "TreebeardHTTP",
      dependencies: [
        "Treebeard", "OxurSyntax", .product(name: "NIO", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]),
    .target(
      name: "TreebeardNREPL",
      dependencies: [
        "Treebeard", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
      ]
    ),
    .executableTarget(
      name: "treebeard",
      dependencies: [
        "Treebeard", "TreebeardREPL", "TreebeardWatch", "TreebeardHTTP", "TreebeardNREPL", "CAllocatorSettings",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "oxur-fuzz", dependencies: ["Treebeard"], path: "Fuzz/oxur-fuzz"),
    .testTarget(name: "OxurSyntaxTests", dependencies: ["OxurSyntax"]),
    .testTarget(name: "EmbeddingTests", dependencies: ["Treebeard"]),
    .testTarget(
      name: "TreebeardTests",
      dependencies: ["Treebeard", "TreebeardREPL", "TreebeardWatch", "TreebeardHTTP", "TreebeardNREPL", "treebeard"]),
  ],
  swiftLanguageModes: [.v6]
)
