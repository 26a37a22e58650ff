import Foundation
import Glibc
import Testing
@testable import CEAuthCore

/// The second hardening round through the `ceauth` binary: each defect as a user or an
/// attacker meets it, on real processes, files and sockets.
extension CLITests {
    /// `setpriv` arguments that run the next command as user and group 65534 (nobody), so file
    /// permissions apply as they do to an ordinary user; nil where the tests are not root.
    static var asNobody: [String]? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return nil }
        return ["--reuid=65534", "--regid=65534", "--clear-groups"]
    }

    enum UnwritablePlace: String, CaseIterable, Sendable {
        /// A lock file left by another user, not writable by this one.
        case lockOfAnotherUser
        /// A keyfile of another user in a sticky folder: rename(2) over it fails with EPERM.
        case keyfileOfAnotherUserInAStickyFolder
    }

    /// Both used to pass the checks and fail only after Cloud Elements had created the instance.
    @Test(.enabled(if: CLITests.asNobody != nil), arguments: UnwritablePlace.allCases)
    func aKeyfilePlaceThatCannotBeWrittenIsRefusedBeforeTheBrowserOpens(place: UnwritablePlace) throws {
        let harness = try LoginHarness()
        let folder = harness.directory.path + "/keys"
        mkdir(folder, 0o700)
        let keyfile = folder + "/keys.json"
        switch place {
        case .lockOfAnotherUser:
            chown(folder, 65534, 65534)
            FileManager.default.createFile(atPath: keyfile + ".lock", contents: Data())
            chmod(keyfile + ".lock", 0o644)  // root's, not writable by nobody
        case .keyfileOfAnotherUserInAStickyFolder:
            chmod(folder, 0o1777)
            FileManager.default.createFile(atPath: keyfile, contents: Data("{\"instances\": []}".utf8))
            chmod(keyfile, 0o644)  // root's: nobody can read it but not replace it
        }
        var env = harness.environment
        env["HOME"] = folder
        let run = try run(CLITests.asNobody! + [CLITests.binary, "login", "gmail", "--no-browser", "--keyfile", keyfile],
                          environment: env, executable: "/usr/bin/setpriv")
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("accounts") && !run.stderr.contains("/o/oauth2/"), "the URL was printed: \(run.stderr)")
        #expect(harness.cloudElements.postCount == 0)
        switch place {
        case .lockOfAnotherUser: #expect(run.stderr.contains("the lock file \(keyfile).lock cannot be opened for writing"))
        case .keyfileOfAnotherUserInAStickyFolder: #expect(run.stderr.contains("belongs to another user (uid 0)"))
        }
        expectNoSecrets(run)
    }

    @Test func aKeyfileFolderOpenToOthersIsNarrowedWithAWarning() throws {
        let harness = try LoginHarness()
        let folder = harness.directory.path + "/open"
        mkdir(folder, 0o700)
        chmod(folder, 0o777)
        let run = try run(["login", "gmail", "--no-browser", "--keyfile", folder + "/keys.json"],
                          environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("ceauth: warning: the keyfile's folder \(folder) was open to other users (mode 0777); it is now 0700"))
        #expect(fileMode(folder) == 0o700)
        #expect(fileMode(folder + "/keys.json") == 0o600)
    }

    @Test(.enabled(if: geteuid() == 0)) func anotherUsersKeyfileFolderIsRefusedBeforeTheBrowserOpens() throws {
        let harness = try LoginHarness()
        let folder = harness.directory.path + "/theirs"
        mkdir(folder, 0o755)
        chown(folder, 65534, 65534)
        let run = try run(["login", "gmail", "--no-browser", "--keyfile", folder + "/keys.json"], environment: harness.environment)
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("belongs to another user (uid 65534), who could replace the keyfile with a link"))
        #expect(harness.cloudElements.postCount == 0)
        #expect(!FileManager.default.fileExists(atPath: folder + "/keys.json"))
    }

    @Test func localhostWithTheIPv6PortSquattedFailsAtOnceWithExit64() throws {
        guard let squatter = try? Socket.listen(host: "::1", port: 0) else { return }  // no IPv6 loopback here
        defer { squatter.close() }
        let port = try squatter.localPort()
        let harness = try LoginHarness()
        let started = monotonicSeconds()
        let run = try run(["login", "gmail", "--no-browser", "--redirect-uri", "http://localhost:\(port)/cb"],
                          environment: harness.environment)
        #expect(run.status == 64, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("port \(port) on ::1 is already in use"))
        #expect(!run.stderr.contains("/o/oauth2/"), "the URL was printed: \(run.stderr)")
        #expect(monotonicSeconds() - started < 10)
    }
}

extension CLITests {
    @Test func aKeyfileWithADuplicatedKeyIsRefusedBeforeTheBrowserAndLeftAsItIs() throws {
        let harness = try LoginHarness()
        let folder = (harness.keyfile as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = #"{"instances": [{"id": 1, "token": "A"}], "instances": [{"id": 2, "token": "B"}]}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        chmod(harness.keyfile, 0o600)
        let run = try run(["login", "gmail", "--no-browser"], environment: harness.environment)
        #expect(run.status == 6, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("the key \"instances\" appears twice in one object"))
        #expect(harness.cloudElements.postCount == 0)
        #expect(FileManager.default.contents(atPath: harness.keyfile) == Data(text.utf8))
    }

    @Test func aLoginKeepsWhatItDoesNotOwnByteForByte() throws {
        let harness = try LoginHarness()
        let folder = (harness.keyfile as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let kept = [#""quota": 18446744073709551615"#, #""offset": -0"#, "\"caf\u{e9}\": 1", "\"cafe\u{301}\": 2", #""note": "\ud83d\ude00""#]
        let text = "{\"instances\": [{\"id\": 7, \"token\": \"T7\", " + kept.joined(separator: ", ") + "}], \"owner\": \"me\"}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        chmod(harness.keyfile, 0o600)
        let run = try run(["login", "gmail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let out = String(decoding: FileManager.default.contents(atPath: harness.keyfile) ?? Data(), as: UTF8.self)
        for member in kept + [#""owner": "me""#, #""token": "T7""#] { #expect(out.contains(member), "lost \(member) in \(out)") }
        #expect(harness.keyfileEntries().count == 2)
    }
}
