// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "ceauth",
    products: [
        .executable(name: "ceauth", targets: ["ceauth"]),
        .library(name: "CEAuthCore", targets: ["CEAuthCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenSSL 3 (libcrypto) for randomness, SHA-256 and constant-time comparison.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // libcurl for HTTP to Cloud Elements (replaces URLSession: no spinning while it waits,
        // nothing written to $HOME, and it tells whether a request byte was sent). Loaded with
        // dlopen on first use; its header comes from libcurl4-openssl-dev.
        .target(name: "CCurl"),
        // prctl(2), which Swift cannot call (variadic): turning core dumps off for a process that
        // holds secrets.
        .target(name: "CSystem"),
        // The Secret Service (GNOME Keyring, KeePassXC, KWallet) through libsecret, loaded with
        // dlopen on first use like libcurl: no build dependency (libsecret's ABI is declared in
        // the shim), nothing loaded by commands that keep tokens in the keyfile. libsecret
        // rather than raw D-Bus: it does the session encryption and prompts of the protocol.
        .target(name: "CSecret"),
        // Turns the top-level Templates/ folder into Swift source at build time, so a
        // copied binary still knows its built-in elements (no resource bundle to carry).
        .executableTarget(name: "TemplateEmbedder"),
        .plugin(
            name: "EmbedTemplates",
            capability: .buildTool(),
            dependencies: ["TemplateEmbedder"],
            path: "Sources/EmbedTemplatesPlugin"
        ),
        .target(
            name: "CEAuthCore",
            dependencies: ["COpenSSL", "CCurl", "CSystem", "CSecret"],
            plugins: ["EmbedTemplates"]
        ),
        .executableTarget(
            name: "ceauth",
            dependencies: [
                "CEAuthCore",
                "CEAuthSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer target for the listener's parsers; Scripts/fuzz builds it with the fuzzer.
        .executableTarget(
            name: "ceauth-fuzz",
            dependencies: ["CEAuthCore"],
            path: "Sources/CEAuthFuzz"
        ),
        // Google and Cloud Elements as the reference describes them, a raw HTTP client and a
        // locked box: one implementation for `ceauth sandbox`, `--sandbox`, the tests and the
        // stress tool (FoundationEssentials only, so the product stays small).
        .target(name: "CEAuthSandbox", dependencies: ["CEAuthCore"]),
        // Floods a waiting `ceauth login` with junk, then sends the genuine redirect (Scripts/stress).
        .executableTarget(
            name: "ceauth-stress",
            dependencies: ["CEAuthCore", "CEAuthSandbox"],
            path: "Sources/CEAuthStress"
        ),
        .testTarget(
            name: "CEAuthCoreTests",
            // The executable too: most CLI tests run its commands in-process, through CommandIO.
            dependencies: ["CEAuthCore", "CEAuthSandbox", "ceauth"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
