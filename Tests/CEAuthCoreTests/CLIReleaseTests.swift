import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The lean single-file ceauth: it writes nothing but the keyfile, and the release binary
/// (Scripts/release) runs where the Swift toolchain is not.
extension CLITests {
    /// Every file under `folder`, relative to it.
    static func files(under folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func aLoginWritesTheKeyfileAndNothingElse() async throws {
        let harness = try LoginHarness()
        let home = harness.directory.path + "/home", work = harness.directory.path + "/work"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var env = harness.environment
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = nil
        env["TMPDIR"] = work
        let run = try await run(["login", "gmail", "--no-browser"], environment: env, browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // URLSession used to leave ~/.cache/org.swift.foundation.URLCache and ~/.local/share behind.
        #expect(Self.files(under: home) == [".config", ".config/ceauth", ".config/ceauth/keys.json", ".config/ceauth/keys.json.lock"])
        #expect(Self.files(under: work).isEmpty)
    }

    /// The package's root folder (this file is Tests/CEAuthCoreTests/CLIReleaseTests.swift).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The toolchain folder that holds the Swift runtime this test process loaded (e.g. /opt/swift).
    static var toolchainRoot: String? {
        // Read to the end: procfs files report size 0, and a one-shot read stops after 4 KiB.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile(),
              case let maps = String(decoding: data, as: UTF8.self),
              let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("/libswiftCore.so") }),
              let path = line.split(separator: " ").last, let range = path.range(of: "/usr/lib/swift") else { return nil }
        return String(path[..<range.lowerBound])
    }

    /// Runs `arguments` in a mount namespace where an empty tmpfs covers the toolchain folder.
    func runWithoutToolchain(_ arguments: [String], environment: [String: String], browser: TestBrowser? = nil,
                             toolchain: String) async throws -> Run {
        let script = "mount -t tmpfs none \"$0\" && test ! -e \"$0/usr/lib/swift\" && exec \"$@\""
        return try await run(["-m", "sh", "-c", script, toolchain] + arguments, environment: environment, browser: browser,
                       executable: "/usr/bin/unshare")
    }

    @Test func theReleaseBinaryRunsWithoutTheSwiftToolchain() async throws {
        let release = Self.packageRoot + "/dist/ceauth"
        guard FileManager.default.isExecutableFile(atPath: release) else {
            print("skipped: \(release) is not built (bash Scripts/release builds it; .ci/run does)")
            return
        }
        guard let toolchain = Self.toolchainRoot, geteuid() == 0,
              FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            print("skipped: cannot hide the Swift toolchain here (needs root and unshare -m)")
            return
        }
        // The control: the debug build needs the toolchain's libraries, and fails without them.
        let debug = try await runWithoutToolchain([CLITests.binary, "--version"], environment: [:], toolchain: toolchain)
        #expect(debug.status == 127, "the debug binary ran without its toolchain, so the toolchain was not hidden: \(debug.stderr)")

        let help = try await runWithoutToolchain([release, "--help"], environment: [:], toolchain: toolchain)
        #expect(help.status == 0, "stderr: \(help.stderr)")
        #expect(help.stdout.contains("USAGE: ceauth"))
        let version = try await runWithoutToolchain([release, "--version"], environment: [:], toolchain: toolchain)
        #expect(version.stdout.hasPrefix(BuildInfo.version + " (commit "))

        let harness = try LoginHarness()
        let login = try await runWithoutToolchain([release, "login", "googlecalendar", "--no-browser", "--json"],
                                            environment: harness.environment, browser: TestBrowser(), toolchain: toolchain)
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let json = try JSONValue.parse(Data(login.stdout.utf8))
        #expect(json["element"]?.stringValue == "googlecalendar")
        #expect(harness.keyfileEntries().count == 1)
        expectNoSecrets(login, allowToken: "INSTANCETOKEN")
    }

    /// libcurl is loaded only when a command needs HTTP: without it, --version still works and
    /// login stops before the browser, saying what to install.
    /// Whether `library` can be hidden from a run here (root, unshare -m, the file there); says why not.
    static func canHide(_ library: String) -> Bool {
        guard geteuid() == 0, FileManager.default.fileExists(atPath: library),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            print("skipped: cannot hide \(library) here (needs root, unshare -m and the file)")
            return false
        }
        return true
    }

    /// ceauth run in a mount namespace of its own where /dev/null is bound over `library`.
    func runHiding(_ library: String, _ arguments: [String], environment: [String: String]) async throws -> Run {
        let script = "mount --bind /dev/null \"$0\" && exec \"$@\""
        return try await run(["-m", "sh", "-c", script, library, CLITests.binary] + arguments, environment: environment,
                             executable: "/usr/bin/unshare")
    }

    @Test func withoutLibcurlLoginSaysWhatToInstallAndOtherCommandsWork() async throws {
        let libcurl = "/usr/lib/x86_64-linux-gnu/libcurl.so.4"
        guard Self.canHide(libcurl) else { return }
        func withoutLibcurl(_ arguments: [String], environment: [String: String]) async throws -> Run {
            try await runHiding(libcurl, arguments, environment: environment)
        }
        let version = try await withoutLibcurl(["--version"], environment: [:])
        #expect(version.status == 0, "stderr: \(version.stderr)")
        let harness = try LoginHarness()
        let login = try await withoutLibcurl(["login", "gmail", "--no-browser"], environment: harness.environment)
        #expect(login.status == 64, "stderr: \(login.stderr)")
        #expect(login.stderr.contains("ceauth talks to Cloud Elements through libcurl, and libcurl 4 cannot be loaded"))
        #expect(!login.stderr.contains("/o/oauth2/"), "the URL was printed: \(login.stderr)")
        expectNoSecrets(login)
    }
}
