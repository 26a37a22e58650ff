import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The keyfile under real processes: runs at the same moment, and a run killed mid-save.
extension CLITests {
    @Test func runsSavingAtTheSameMomentAllLand() async throws {
        let harness = try LoginHarness()
        // Cloud Elements answers only once all four have asked: the saves start together.
        harness.cloudElements.answerTogether.with { $0 = 4 }
        let runs = Locked<[Run]>([])
        let environment = harness.environment
        let threads = ["gmail", "googlecalendar", "gmail", "googlecalendar"].map { element in
            Thread { [self] in
                if let run = try? self.runWaiting(["login", element, "--no-browser", "--json"], environment: environment,
                                                  browser: TestBrowser()) {
                    runs.with { $0.append(run) }
                }
            }
        }
        threads.forEach { $0.start() }
        let until = monotonicSeconds() + 60
        while runs.current.count < 4 && monotonicSeconds() < until { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(runs.current.map(\.status) == [0, 0, 0, 0], "\(runs.current.map(\.stderr))")
        let saved = harness.keyfileEntries()
        #expect(saved.count == 4)
        #expect(Set(saved.compactMap { $0["element"]?.stringValue }) == ["gmail", "googlecalendar"])
        let printed = Set(runs.current.compactMap { try? JSONValue.parse(Data($0.stdout.utf8))["token"]?.stringValue })
        #expect(Set(saved.compactMap { $0["token"]?.stringValue }) == printed)
        #expect(fileMode(harness.keyfile) == 0o600)
    }

    /// Builds a shared library that stops the process inside rename(2) of a keyfile, after the
    /// new contents are written and flushed: the moment a crash would hurt most.
    static func renameTrap(in directory: String) throws -> String {
        let source = directory + "/trap.c", library = directory + "/trap.so"
        try Data("""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        int rename(const char *from, const char *to) {
            const char *marker = getenv("CEAUTH_TEST_RENAME_MARKER");
            size_t n = strlen(to);
            if (marker && n >= 9 && strcmp(to + n - 9, "keys.json") == 0) {
                int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (fd >= 0) { write(fd, from, strlen(from)); close(fd); }
                for (;;) pause();
            }
            int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
            return real(from, to);
        }
        """.utf8).write(to: URL(fileURLWithPath: source))
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-shared", "-fPIC", "-o", library, source, "-ldl"]
        try cc.run()
        cc.waitUntilExit()
        guard cc.terminationStatus == 0 else { throw SocketError("cc", code: EINVAL) }
        return library
    }

    @Test func aRunKilledBetweenWritingAndRenamingLeavesTheOldKeyfileWhole() async throws {
        let harness = try LoginHarness()
        let first = try await run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let before = try #require(FileManager.default.contents(atPath: harness.keyfile))

        let directory = TemporaryDirectory()
        let marker = directory.path + "/renaming"
        var env = harness.environment
        env["LD_PRELOAD"] = try Self.renameTrap(in: directory.path)
        env["CEAUTH_TEST_RENAME_MARKER"] = marker
        let killed = try await run(["login", "googlecalendar", "--no-browser"], environment: env, afterURL: { pid, url in
            let browser = TestBrowser()
            Thread { browser.visit(url) }.start()
            let until = monotonicSeconds() + 20
            while access(marker, F_OK) != 0 && monotonicSeconds() < until { usleep(10_000) }
            kill(pid, SIGKILL)
        })
        #expect(killed.status == SIGKILL)
        // It was stopped inside rename, with the new contents (two instances) flushed to its temporary file.
        let temporary = try String(contentsOfFile: marker, encoding: .utf8)
        #expect(temporary.hasPrefix(harness.keyfile + ".tmp."))
        let unrenamed = try JSONValue.parse(#require(FileManager.default.contents(atPath: temporary)))
        guard case .array(let unrenamedInstances)? = unrenamed["instances"] else { Issue.record("no instances"); return }
        #expect(unrenamedInstances.count == 2)
        // The keyfile is the old one, byte for byte.
        #expect(FileManager.default.contents(atPath: harness.keyfile) == before)
        #expect(harness.cloudElements.postCount == 2)

        // The lock died with the process: the next run saves at once and clears the leftover.
        let next = try await run(["login", "googlecalendar", "--no-browser"], environment: harness.environment, browser: TestBrowser(), limit: 20)
        #expect(next.status == 0, "stderr: \(next.stderr)")
        #expect(harness.keyfileEntries().count == 2)
        #expect(access(temporary, F_OK) != 0, "the killed run's temporary file is still there")
        expectNoSecrets(killed)
    }
}
