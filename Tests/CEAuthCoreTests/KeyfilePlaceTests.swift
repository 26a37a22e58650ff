import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The keyfile's folder, the keyfile and its lock: who owns them and who can write into them.
@Suite struct KeyfilePlaceTests {
    static let me: UInt32 = 1000, other: UInt32 = 1001

    func folder(_ mode: UInt32, owner: UInt32 = me) -> FileFacts { FileFacts(kind: .directory, owner: owner, mode: mode) }

    @Test func theFolderVerdicts() {
        let me = Self.me, other = Self.other
        func verdict(_ f: FileFacts, keyfileOwner: UInt32? = nil, dedicated: Bool = true) -> KeyfilePlace.FolderVerdict {
            KeyfilePlace.folder(f, keyfileOwner: keyfileOwner, dedicated: dedicated, user: me)
        }
        #expect(verdict(folder(0o700)) == .safe)
        // A folder of ours that holds only ceauth's files is narrowed, whatever it was.
        #expect(verdict(folder(0o755)) == .narrow(from: 0o755))
        #expect(verdict(folder(0o777)) == .narrow(from: 0o777))
        // A shared folder of ours (a project folder, a home) is never changed: fine when only
        // readable, refused when others can write into it.
        #expect(verdict(folder(0o755), dedicated: false) == .safe)
        guard case .refuse = verdict(folder(0o777), dedicated: false) else { Issue.record("0777 shared folder accepted"); return }
        // Another user's folder: they could swap the keyfile for a link.
        guard case .refuse = verdict(folder(0o700, owner: other)) else { Issue.record("another user's folder accepted"); return }
        guard case .refuse = verdict(folder(0o755, owner: other), keyfileOwner: me) else { Issue.record("another user's folder accepted"); return }
        // root's folders are trusted unless others can write into them.
        #expect(verdict(folder(0o755, owner: 0), dedicated: false) == .safe)
        guard case .refuse = verdict(folder(0o777, owner: 0), dedicated: false) else { Issue.record("0777 root folder accepted"); return }
        // Sticky (like /tmp): fine with no keyfile yet or a keyfile of ours, never with another user's.
        #expect(verdict(folder(0o1777, owner: 0), dedicated: false) == .safe)
        #expect(verdict(folder(0o1777, owner: 0), keyfileOwner: me, dedicated: false) == .safe)
        #expect(verdict(folder(0o1777, owner: other), keyfileOwner: me) == .safe)
        guard case .refuse(let reason) = verdict(folder(0o1777, owner: 0), keyfileOwner: other) else {
            Issue.record("another user's keyfile in a sticky folder accepted"); return
        }
        #expect(reason.contains("uid 1001"))
        guard case .refuse = verdict(FileFacts(kind: .symlink, owner: me, mode: 0o777)) else { Issue.record("link accepted"); return }
    }

    @Test func theKeyfileAndLockVerdicts() {
        #expect(KeyfilePlace.keyfile(FileFacts(kind: .regular, owner: Self.me, mode: 0o600), path: "k", user: Self.me) == nil)
        #expect(KeyfilePlace.keyfile(FileFacts(kind: .regular, owner: Self.other, mode: 0o666), path: "k", user: Self.me)
            == .notOurs(path: "k", owner: Self.other))
        #expect(KeyfilePlace.keyfile(FileFacts(kind: .symlink, owner: Self.me, mode: 0o777), path: "k", user: Self.me) == .symlink(path: "k"))
        #expect(KeyfilePlace.lock(FileFacts(kind: .regular, owner: Self.other, mode: 0o666), path: "l") == nil)
        #expect(KeyfilePlace.lock(FileFacts(kind: .symlink, owner: Self.me, mode: 0o777), path: "l") == .unusableLock(path: "l", reason: "is a symbolic link"))
        #expect(KeyfilePlace.lock(FileFacts(kind: .directory, owner: Self.me, mode: 0o700), path: "l") == .unusableLock(path: "l", reason: "is a folder"))
    }

    // Real files. These run as whoever runs the tests; chown needs root, so those parts are
    // skipped without it (CI runs as root).
    static var isRoot: Bool { geteuid() == 0 }

    func entry() -> KeyfileEntry {
        KeyfileEntry(name: "n", id: 1, token: Secret("t"), element: "gmail", baseURL: "https://x.example", created: "c")
    }

    @Test func aLockThatIsADanglingLinkOrAFolderIsFoundBeforeTheBrowserOpens() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keys.json"
        symlink(directory.path + "/nowhere", path + ".lock")
        #expect(throws: KeyfileError.unusableLock(path: path + ".lock", reason: "is a symbolic link")) {
            try KeyfileStore(path: path).preflight()
        }
        unlink(path + ".lock")
        mkdir(path + ".lock", 0o700)
        #expect(throws: KeyfileError.unusableLock(path: path + ".lock", reason: "is a folder")) {
            try KeyfileStore(path: path).preflight()
        }
        #expect(throws: KeyfileError.self) { try KeyfileStore(path: path).save(entry()) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aDedicatedFolderOfOursIsNarrowedASharedOneOpenToOthersIsRefused() throws {
        let directory = TemporaryDirectory()
        let folder = directory.path + "/ceauth"
        mkdir(folder, 0o700)
        chmod(folder, 0o777)
        let warnings = try KeyfileStore(path: folder + "/keys.json").preflight()
        #expect(warnings == ["the keyfile's folder \(folder) was open to other users (mode 0777); it is now 0700"])
        #expect(fileMode(folder) == 0o700)

        let shared = directory.path + "/project"
        mkdir(shared, 0o700)
        _ = FileManager.default.createFile(atPath: shared + "/Makefile", contents: Data())
        chmod(shared, 0o777)
        #expect {
            try KeyfileStore(path: shared + "/keys.json").preflight()
        } throws: { error in
            guard case KeyfileError.unsafeFolder = error else { return false }
            return "\(error)".contains("can be written by other users (mode 0777)")
        }
        #expect(fileMode(shared) == 0o777)
    }

    @Test(.enabled(if: isRoot)) func anotherUsersFolderOrKeyfileIsRefused() throws {
        let directory = TemporaryDirectory()
        let theirs = directory.path + "/theirs"
        mkdir(theirs, 0o755)
        chown(theirs, 65534, 65534)
        #expect(throws: KeyfileError.unsafeFolder(path: theirs, reason: "belongs to another user (uid 65534), who could replace the keyfile with a link")) {
            try KeyfileStore(path: theirs + "/keys.json").preflight()
        }
        // Sticky, like /tmp: a keyfile of ours may live there, another user's may not.
        let sticky = directory.path + "/sticky"
        mkdir(sticky, 0o700)
        chmod(sticky, 0o1777)
        try KeyfileStore(path: sticky + "/keys.json").save(entry())
        #expect(fileMode(sticky + "/keys.json") == 0o600)
        #expect(fileMode(sticky) == 0o777)
        _ = FileManager.default.createFile(atPath: sticky + "/planted.json", contents: Data("{}".utf8))
        chown(sticky + "/planted.json", 65534, 65534)
        #expect(throws: KeyfileError.notOurs(path: sticky + "/planted.json", owner: 65534)) {
            try KeyfileStore(path: sticky + "/planted.json").preflight()
        }
        #expect(throws: KeyfileError.self) { try KeyfileStore(path: sticky + "/planted.json").save(entry()) }
        #expect(FileManager.default.contents(atPath: sticky + "/planted.json") == Data("{}".utf8))
    }
}
